"""torch-fidelity feature extractors built once per process, and the metrics computed from their features.

`torch_fidelity.calculate_metrics` builds its extractor on every call (for Inception ~1 s: the network, then the
weights file); the search's IS proxy and the periodic evaluations call it hundreds to thousands of times. An extractor
is an eval-mode network without gradients whose forward keeps no state, so one built once gives the same features on
every call. `compute_metrics` runs torch-fidelity's own steps in `calculate_metrics`' order (features of input 1, of
input 2, then ISC, FID, KID from torch-fidelity's features -> metric functions), only with the reused extractor: the
numbers are those of `calculate_metrics` with the same arguments, bit for bit (tests/test_metrics_extractor_reuse.py).

An extractor is built with every layer the harness's metrics read (IS's, FID's and KID's): the real images' feature
cache holds those layers whichever metric asked first, and on both backbones the extra layer costs nothing (it lies
on the way to the logits). Built extractors are kept per backbone, weights file (path, size, modification time) and
device, a few at most.
"""
from __future__ import annotations

import functools
from pathlib import Path

import torch
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
    """The process's extractor for `backbone` with `weights`, on the current CUDA device if `cuda` else the CPU."""
    stat = weights.stat()
    device = f"cuda:{torch.cuda.current_device()}" if cuda else "cpu"
    return _build(backbone, str(weights), stat.st_size, stat.st_mtime_ns, device)


@functools.lru_cache(maxsize=KEPT_EXTRACTORS)
def _build(backbone: str, weights: str, size: int, mtime_ns: int, device: str) -> FeatureExtractorBase:
    layers = sorted({feature_layer(backbone, metric) for metric in METRICS})
    with torch.inference_mode(False):  # weights that stay usable outside an inference-mode block
        return create_feature_extractor(backbone, layers, cuda=device != "cpu", feature_extractor_weights_path=weights,
                                        verbose=False)


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
