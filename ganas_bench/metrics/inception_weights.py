"""Find and check the weights of torch-fidelity's `inception-v3-compat` extractor before torch-fidelity touches them.

torch-fidelity downloads the weights on first use, and otherwise loads a given file with `weights_only=False` and fails
with a long traceback on a wrong file. Here a weights file is resolved once — the `--inception-weights` file, else
torch-fidelity's download in torch hub's checkpoint folder, else a download attempt — then loaded with
`weights_only=True` and its keys and shapes compared with the model's; every failure is one `UserError` line saying what
to download, where to put it and which flag to pass.
"""
from __future__ import annotations

import functools
import io
import os
import urllib.error
from pathlib import Path

import torch
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3, FeatureExtractorInceptionV3

from ganas_bench.errors import UserError, preview

WEIGHTS_FILENAME = os.path.basename(URL_INCEPTION_V3)
_WHAT_TO_DO = (f"download {URL_INCEPTION_V3} and put it at {{cached}} or pass its path with --inception-weights FILE")


def cached_weights_path() -> Path:
    """Where torch-fidelity's own download lands (and where it looks first): <torch hub dir>/checkpoints/<file>."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILENAME


class _UnloadedInception(FeatureExtractorInceptionV3):
    """torch-fidelity's Inception built without loading any weights (its layers keep PyTorch's random init)."""

    def load_state_dict(self, state_dict, strict=True, assign=False):
        return None


def untrained_inception_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """A random state dict with exactly the keys and shapes of the real weights (for checks and tests).

    Convolutions get He-normal weights rather than PyTorch's default, whose activations fade to a constant over
    Inception's depth (every image then has the same features and FID is exactly 0): the numbers stay meaningless but
    not degenerate.
    """
    empty = io.BytesIO()
    torch.save({}, empty)
    empty.seek(0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _UnloadedInception("inception-v3-compat", ["2048"], feature_extractor_weights_path=empty)
        for module in model.modules():
            if isinstance(module, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@functools.lru_cache(maxsize=1)
def _expected_shapes() -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in untrained_inception_state_dict().items()}


def check_inception_weights(path: str | Path) -> Path:
    """Load `path` with weights_only=True and check it is an inception-v3-compat state dict; return it as a Path.

    A file that passed is not read again while its size and modification time stay the same (the search strategies
    score many candidates with the same weights).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"Inception weights file {preview(str(path), 100)} does not exist; "
                        + _WHAT_TO_DO.format(cached=cached_weights_path()))
    stat = path.stat()
    _check_file(str(path), stat.st_size, stat.st_mtime_ns)
    return path


@functools.lru_cache(maxsize=4)
def _check_file(path: str, size: int, mtime_ns: int) -> None:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unpickling error: not a plain state dict
        raise UserError(f"cannot load Inception weights {preview(path, 100)} with weights_only=True "
                        f"({exc.__class__.__name__}); "
                        f"expected torch-fidelity's {WEIGHTS_FILENAME}") from None
    expected = _expected_shapes()
    if not isinstance(state, dict):
        raise UserError(f"Inception weights {preview(path, 100)} hold a {type(state).__name__}, not a state dict; "
                        f"expected torch-fidelity's {WEIGHTS_FILENAME}")
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshaped = sorted(k for k in set(expected) & set(state)
                       if not torch.is_tensor(state[k]) or tuple(state[k].shape) != expected[k])
    if missing or unexpected or misshaped:
        problems = [f"{len(names)} {what} (e.g. {names[0]!r})"
                    for what, names in (("missing keys", missing), ("unexpected keys", unexpected),
                                        ("tensors of the wrong shape", misshaped)) if names]
        raise UserError(f"{preview(path, 100)} is not an inception-v3-compat state dict: {', '.join(problems)}; "
                        f"expected torch-fidelity's {WEIGHTS_FILENAME} ({len(expected)} tensors)")


def resolve_inception_weights(path: str | Path | None) -> Path:
    """The checked weights file: `path` if given, else torch-fidelity's cached download, else a fresh download."""
    if path:
        return check_inception_weights(path)
    cached = cached_weights_path()
    if not cached.is_file():
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(URL_INCEPTION_V3, str(cached), progress=False)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise UserError(f"Inception weights are not cached and could not be downloaded ({reason}); "
                            + _WHAT_TO_DO.format(cached=cached)) from None
    return check_inception_weights(cached)
