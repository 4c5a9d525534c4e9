"""torch-fidelity feature extractors built once per process, and the metrics computed from their features.

`torch_fidelity.calculate_metrics` builds its extractor on every call (for Inception ~1 s: the network, then the
weights file); the search's IS proxy and the periodic evaluations call it hundreds to thousands of times. An extractor
is an eval-mode network without gradients whose forward keeps no state, so one built once gives the same features on
every call. `compute_metrics` runs torch-fidelity's own steps in `calculate_metrics`' order (features of input 1, of
input 2, then ISC, FID, KID from torch-fidelity's features -> metric functions), only with the reused extractor: the
numbers are those of `calculate_metrics` with the same arguments, bit for bit (tests/test_metrics_extractor_reuse.py).

Building an extractor draws from torch's global CPU RNG (its layers' default initialisation, then overwritten by the
weights), and today's runs depend on that: rl draws its controller's tokens from the same RNG after every reward. So
each reuse advances the global RNG by exactly the draws a construction makes (`advance_rng`: one uniform float per
conv / linear parameter, checked once per extractor against the real construction; where the check fails the
extractor is built on every call, as torch-fidelity does). For Inception that replay takes ~0.4 s of the ~1.2 s a
build takes here; for the digits classifier both are milliseconds.

An extractor is built with every layer the harness's metrics read (IS's, FID's and KID's): the real images' feature
cache holds those layers whichever metric asked first, and on both backbones the extra layer costs nothing (it lies
on the way to the logits). Built extractors are kept per backbone, weights file (path, size, modification time) and
device, a few at most.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.helpers import get_kwarg
from torch_fidelity.metric_fid import fid_featuresdict_to_statistics_cached, fid_statistics_to_metric
from torch_fidelity.metric_isc import isc_featuresdict_to_metric
from torch_fidelity.metric_kid import kid_featuresdict_to_metric
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
from torch_fidelity.utils import create_feature_extractor, extract_featuresdict_from_input_id_cached, \
    get_cacheable_input_name

METRICS = ("isc", "fid", "kid")
KEPT_EXTRACTORS = 4  # a process uses one backbone; tests switch between a few weights files


def feature_layer(backbone: str, metric: str) -> str:
    """The layer torch-fidelity reads for `metric` ("isc", "fid", "kid") on `backbone` by default."""
    return FEATURE_EXTRACTORS_REGISTRY[backbone].get_default_feature_layer_for_metric(metric)


def feature_extractor(backbone: str, weights: Path, cuda: bool) -> FeatureExtractorBase:
    """The extractor for `backbone` with `weights`, on the current CUDA device if `cuda` else the CPU; the global RNG
    moves as if it had been built now (module docstring)."""
    stat = weights.stat()
    key = (backbone, str(weights), stat.st_size, stat.st_mtime_ns,
           f"cuda:{torch.cuda.current_device()}" if cuda else "cpu")
    if key in _BUILT:
        extractor, draws = _BUILT[key]
        if draws is not None:
            advance_rng(draws)
            return extractor
    extractor, draws = _build(*key)
    _BUILT[key] = extractor, draws
    while len(_BUILT) > KEPT_EXTRACTORS:
        _BUILT.pop(next(iter(_BUILT)))
    return extractor


_BUILT: dict[tuple, tuple[FeatureExtractorBase, int | None]] = {}


def _build(backbone: str, weights: str, size: int, mtime_ns: int, device: str
           ) -> tuple[FeatureExtractorBase, int | None]:
    """A new extractor and the RNG draws its construction made (None when `advance_rng` cannot reproduce them)."""
    layers = sorted({feature_layer(backbone, metric) for metric in METRICS})
    before = torch.get_rng_state()
    with torch.inference_mode(False):  # weights that stay usable outside an inference-mode block
        extractor = create_feature_extractor(backbone, layers, cuda=device != "cpu",
                                             feature_extractor_weights_path=weights, verbose=False)
    after = torch.get_rng_state()
    draws = sum(p.numel() for m in extractor.modules() if isinstance(m, (nn.Conv2d, nn.Linear))
                for p in m.parameters(recurse=False))
    torch.set_rng_state(before)
    advance_rng(draws)
    reproduced = torch.equal(torch.get_rng_state(), after)
    torch.set_rng_state(after)
    return extractor, draws if reproduced else None


def advance_rng(draws: int, chunk: int = 1 << 20) -> None:
    """Move torch's global CPU RNG on by `draws` uniform float32 draws (what default layer initialisation uses)."""
    scratch = torch.empty(min(draws, chunk))
    while draws > 0:
        n = min(draws, chunk)
        scratch[:n].uniform_()
        draws -= n


def compute_metrics(extractor: FeatureExtractorBase, backbone: str, *, isc: bool, fid: bool, kid: bool,
                    **kwargs) -> dict:
    """What `torch_fidelity.calculate_metrics(isc=..., fid=..., kid=..., **kwargs)` returns, with `extractor`."""
    features_1 = extract_featuresdict_from_input_id_cached(1, extractor, **kwargs)
    features_2 = extract_featuresdict_from_input_id_cached(2, extractor, **kwargs) if fid or kid else None
    out = {}
    if isc:
        out.update(isc_featuresdict_to_metric(features_1, feature_layer(backbone, "isc"), **kwargs))
    if fid:
        layer = feature_layer(backbone, "fid")
        stats = [fid_featuresdict_to_statistics_cached(features, get_cacheable_input_name(slot, **kwargs), extractor,
                                                       layer, **kwargs)
                 for slot, features in ((1, features_1), (2, features_2))]
        out.update(fid_statistics_to_metric(*stats, get_kwarg("verbose", kwargs)))
    if kid:
        out.update(kid_featuresdict_to_metric(features_1, features_2, feature_layer(backbone, "kid"), **kwargs))
    return out
