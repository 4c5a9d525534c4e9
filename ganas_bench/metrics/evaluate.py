"""IS / FID / KID of a generator through torch-fidelity, and the cheap IS-only reward the search strategies use.

Protocol (the papers' where they fix it):
- z ~ N(0, I) drawn by torch-fidelity from `numpy.random.RandomState(seed)`: the same seed gives the same samples, so
  an evaluation is deterministic on CPU; G runs in eval mode and its modules' train/eval modes are restored after.
- Outputs in [-1, 1] are quantised to uint8 as AutoGAN / AdversarialNAS do (`generated_images.quantise`: truncation).
- IS over 10 splits without shuffling (the TF code's order); FID and KID against the real images given (the caller
  names them in `reference_split`); KID with torch-fidelity's defaults (100 subsets, cubic polynomial kernel).
- Backbone "digits-classifier" (tiny/smoke profiles, 1-channel images of any side, resized to 16x16 inside the
  extractor) or "inception-v3-compat" (paper profiles; torch-fidelity's TF-compatible Inception, grey images repeated to
  RGB). The numbers of the two are not comparable with each other; every result records its backbone and sample counts.
- Real-image features and FID statistics are cached by torch-fidelity when `cache_name` is given, under `cache_dir`. The
  entry's name holds the caller's name, the real images' shape and count, the backbone, and fingerprints of the backbone
  weights and of the image bytes, so statistics of unlike data or weights never mix.
- Single process: `save_cpu_ram=True` (no DataLoader workers); torch-fidelity runs on CUDA only if `device` is CUDA.
- Speed without other numbers: torch-fidelity's extractor is built once per process (`extractors.py`) and sampling and
  feature extraction run under `torch.inference_mode()` (no autograd bookkeeping; the same floats).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from pathlib import Path

import torch
from torch import nn
from torch_fidelity import (
    KEY_METRIC_FID, KEY_METRIC_ISC_MEAN, KEY_METRIC_ISC_STD, KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD,
    GenerativeModelModuleWrapper,
)

from ganas_bench.errors import UserError
from ganas_bench.metrics.digits_classifier import WEIGHTS_PATH
from ganas_bench.metrics.extractors import compute_metrics, feature_extractor, feature_layer
from ganas_bench.metrics.feature_extractor_digits import NAME as DIGITS_BACKBONE
from ganas_bench.metrics.generated_images import QuantisedGenerator, UInt8Images
from ganas_bench.metrics.inception_weights import resolve_inception_weights

INCEPTION_BACKBONE = "inception-v3-compat"
#: backbone name -> image channels it takes
BACKBONE_CHANNELS = {DIGITS_BACKBONE: 1, INCEPTION_BACKBONE: 3}
ISC_SPLITS = 10
KID_SUBSETS = 100
DEFAULT_SEED = 0


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/ganas-bench/fidelity, else ~/.cache/ganas-bench/fidelity."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ganas-bench" / "fidelity"


@functools.lru_cache(maxsize=8)
def _file_fingerprint(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.blake2b(digest_size=6)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_fingerprint(path: Path) -> str:
    """12 hex digits of the weights file's content (memoised per path, size and modification time)."""
    stat = path.stat()
    return _file_fingerprint(str(path), stat.st_size, stat.st_mtime_ns)


def images_fingerprint(images: torch.Tensor) -> str:
    """12 hex digits of the images' bytes."""
    return hashlib.blake2b(images.contiguous().cpu().numpy().data, digest_size=6).hexdigest()


def _check_count(name: str, value, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UserError(f"invalid {name}={value!r}; accepted: an integer >= {minimum}")


def _backbone_setup(backbone: str, device, inception_weights, batch_size: int, seed: int) -> tuple[dict, Path]:
    """torch-fidelity keyword arguments shared by both entry points, and the checked backbone weights file."""
    if backbone not in BACKBONE_CHANNELS:
        raise UserError(f"unknown backbone {backbone!r}; accepted: {', '.join(BACKBONE_CHANNELS)}")
    _check_count("batch_size", batch_size)
    _check_count("seed", seed, minimum=0)
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise UserError(f"invalid device {device!r}; accepted: cpu, cuda, cuda:N, mps") from None
    weights = resolve_inception_weights(inception_weights) if backbone == INCEPTION_BACKBONE else WEIGHTS_PATH
    kwargs = dict(
        feature_extractor=backbone, feature_extractor_weights_path=str(weights), cuda=device.type == "cuda",
        batch_size=batch_size, rng_seed=seed, save_cpu_ram=True, samples_shuffle=False, verbose=False,
    )
    return kwargs, weights


@contextlib.contextmanager
def _sampling(generator: nn.Module, device):
    """Restore every module's train/eval mode after (torch-fidelity leaves G in eval mode); pick the CUDA device; no
    autograd inside (inference mode)."""
    modes = [(module, module.training) for module in generator.modules()]
    device = torch.device(device)
    try:
        with torch.cuda.device(device) if device.type == "cuda" else contextlib.nullcontext(), torch.inference_mode():
            yield
    finally:
        for module, training in modes:
            module.training = training


def _wrap(generator: nn.Module, latent_dim: int, backbone: str) -> GenerativeModelModuleWrapper:
    _check_count("latent_dim", latent_dim)
    quantised = QuantisedGenerator(generator, BACKBONE_CHANNELS[backbone])
    return GenerativeModelModuleWrapper(quantised, latent_dim, "normal", 0)


def inception_score(
    generator: nn.Module, latent_dim: int, *, n: int, backbone: str, device, splits: int = ISC_SPLITS,
    seed: int = DEFAULT_SEED, inception_weights: str | Path | None = None, batch_size: int = 250,
) -> tuple[float, float]:
    """(mean, std) of the Inception Score of `n` samples over `splits` splits: the search strategies' reward."""
    _check_count("n", n)
    _check_count("splits", splits)
    if splits > n:
        raise UserError(f"invalid splits={splits}; accepted: an integer <= n ({n})")
    kwargs, weights = _backbone_setup(backbone, device, inception_weights, batch_size, seed)
    with _sampling(generator, device):
        out = compute_metrics(
            feature_extractor(backbone, weights, kwargs["cuda"]), backbone, isc=True, fid=False, kid=False,
            input1=_wrap(generator, latent_dim, backbone), input1_model_num_samples=n, isc_splits=splits, **kwargs,
        )
    return out[KEY_METRIC_ISC_MEAN], out[KEY_METRIC_ISC_STD]


def _check_real(real_uint8, backbone: str) -> None:
    if not torch.is_tensor(real_uint8) or real_uint8.dtype != torch.uint8 or real_uint8.dim() != 4:
        got = (f"{real_uint8.dtype} {tuple(real_uint8.shape)}" if torch.is_tensor(real_uint8)
               else type(real_uint8).__name__)
        raise UserError(f"real images must be a uint8 tensor (N, C, H, W), got {got}")
    channels = BACKBONE_CHANNELS[backbone]
    if real_uint8.shape[1] not in (1, channels):
        raise UserError(f"real images have {real_uint8.shape[1]} channels; the {backbone} backbone takes {channels}"
                        + (" (or 1, repeated)" if channels > 1 else ""))


def _cache_key(cache_name: str | None, real: torch.Tensor, backbone: str, weights_print: str) -> str | None:
    """Caller's name, then what makes real statistics unlike: image shape, count, backbone, weights and image bytes."""
    if cache_name is None:
        return None
    if not isinstance(cache_name, str) or not cache_name or os.sep in cache_name or cache_name != cache_name.strip():
        raise UserError(f"invalid cache_name={cache_name!r}; accepted: a non-empty name without {os.sep!r} "
                        "or outer spaces")
    shape = "x".join(str(side) for side in real.shape[1:])
    return f"{cache_name}-{shape}-n{real.shape[0]}-{backbone}-w{weights_print}-d{images_fingerprint(real)}"


def evaluate_generator(
    generator: nn.Module, latent_dim: int, real_uint8: torch.Tensor, *, n_fake: int, backbone: str, device,
    kid_subset_size: int, reference_split: str, cache_name: str | None = None, cache_dir: str | Path | None = None,
    inception_weights: str | Path | None = None, batch_size: int = 250, seed: int = DEFAULT_SEED,
) -> dict:
    """IS, FID and KID of `n_fake` samples of `generator` against the real images `real_uint8` (uint8 (N, C, H, W)).

    `reference_split` names the real images (e.g. "digits-train") and is recorded with the numbers; `cache_name`
    (e.g. the same name) turns on caching of their features and statistics under `cache_dir` (default:
    `default_cache_dir()`); `inception_weights` is a local copy of torch-fidelity's Inception weights (read by the
    inception-v3-compat backbone only).
    Returns is_mean, is_std, fid, kid_mean, kid_std and what they were measured on: n_fake, n_real, backbone,
    reference_split, real_image_size, isc_splits, kid_subsets, kid_subset_size, feature_layer, quantisation, seed,
    backbone_weights (file name and content fingerprint) and cache_key (None when not cached).
    """
    if backbone not in BACKBONE_CHANNELS:
        raise UserError(f"unknown backbone {backbone!r}; accepted: {', '.join(BACKBONE_CHANNELS)}")
    _check_real(real_uint8, backbone)
    real = real_uint8.cpu()
    n_real = real.shape[0]
    _check_count("n_fake", n_fake, minimum=ISC_SPLITS)
    _check_count("kid_subset_size", kid_subset_size, minimum=2)
    if kid_subset_size > min(n_fake, n_real):
        raise UserError(f"invalid kid_subset_size={kid_subset_size}; accepted: an integer <= n_fake ({n_fake}) "
                        f"and <= the number of real images ({n_real})")
    if not isinstance(reference_split, str) or not reference_split:
        raise UserError(f"invalid reference_split={reference_split!r}; accepted: a name for the real images")
    kwargs, weights = _backbone_setup(backbone, device, inception_weights, batch_size, seed)
    weights_print = weights_fingerprint(weights)
    cache_key = _cache_key(cache_name, real, backbone, weights_print)
    with _sampling(generator, device):
        out = compute_metrics(
            feature_extractor(backbone, weights, kwargs["cuda"]), backbone, isc=True, fid=True, kid=True,
            input1=_wrap(generator, latent_dim, backbone), input1_model_num_samples=n_fake,
            input2=UInt8Images(real, BACKBONE_CHANNELS[backbone]), input2_cache_name=cache_key,
            cache=cache_key is not None, cache_root=str(Path(cache_dir) if cache_dir else default_cache_dir()),
            isc_splits=ISC_SPLITS, kid_subsets=KID_SUBSETS,
            kid_subset_size=kid_subset_size, **kwargs,
        )
    return {
        "is_mean": out[KEY_METRIC_ISC_MEAN],
        "is_std": out[KEY_METRIC_ISC_STD],
        "fid": out[KEY_METRIC_FID],
        "kid_mean": out[KEY_METRIC_KID_MEAN],
        "kid_std": out[KEY_METRIC_KID_STD],
        "n_fake": n_fake,
        "n_real": n_real,
        "backbone": backbone,
        "reference_split": reference_split,
        "real_image_size": real.shape[-1],
        "isc_splits": ISC_SPLITS,
        "kid_subsets": KID_SUBSETS,
        "kid_subset_size": kid_subset_size,
        "feature_layer": feature_layer(backbone, "fid"),
        "quantisation": "x*127.5+127.5, clamp [0, 255], truncate to uint8",
        "seed": seed,
        "backbone_weights": f"{weights.name}:{weights_print}",
        "cache_key": cache_key,
    }
