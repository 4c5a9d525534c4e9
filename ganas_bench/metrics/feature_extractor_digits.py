"""torch-fidelity feature extractor "digits-classifier": the tiny profile's stand-in for Inception.

Features, named after their Inception counterparts' roles:
- "logits_unbiased" (10): class logits, read by the Inception Score (the classifier has no output bias to drop);
- "128": the penultimate layer before its activation, read by FID and KID (and precision/recall).
Input: uint8 (N, 1, H, W); any side is resized to 16x16 inside the classifier (see `digits_classifier`).
Importing this module registers the extractor with torch-fidelity.
"""
from __future__ import annotations

import torch
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

from ganas_bench.errors import UserError
from ganas_bench.metrics.digits_classifier import IMAGE_SIZE, load_digits_classifier

NAME = "digits-classifier"


class FeatureExtractorDigits(FeatureExtractorBase):
    """Shipped weights unless `feature_extractor_weights_path` names another digits-classifier state dict."""

    def __init__(self, name, features_list, feature_extractor_weights_path=None, **kwargs):
        super().__init__(name, features_list)
        self.model = load_digits_classifier(feature_extractor_weights_path)

    @staticmethod
    def get_provided_features_list():
        return "128", "logits_unbiased"

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return {"isc": "logits_unbiased", "fid": "128", "kid": "128", "prc": "128"}[metric]

    @staticmethod
    def can_be_compiled():
        return True

    @staticmethod
    def get_dummy_input_for_compile():
        return (torch.rand([1, 1, IMAGE_SIZE, IMAGE_SIZE]) * 255).to(torch.uint8)

    def forward(self, images):
        if not torch.is_tensor(images) or images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 1:
            got = f"{images.dtype} {tuple(images.shape)}" if torch.is_tensor(images) else type(images).__name__
            raise UserError(f"the {NAME} backbone takes uint8 grey images (N, 1, H, W), got {got}")
        logits, features = self.model(images)
        by_name = {"128": features, "logits_unbiased": logits}
        return tuple(by_name[name] for name in self.features_list)


if NAME not in FEATURE_EXTRACTORS_REGISTRY:
    register_feature_extractor(NAME, FeatureExtractorDigits)
