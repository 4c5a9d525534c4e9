"""IS / FID / KID through torch-fidelity, with the feature extractor ("backbone") chosen by profile.

- `evaluate_generator(...)`: IS, FID and KID of a generator against real uint8 images, with its sample counts,
  reference split and backbone recorded next to the numbers.
- `inception_score(...)`: IS alone, the cheap reward the search strategies use.
- Backbones: "digits-classifier" (tiny/smoke: a small CNN trained by the project, weights shipped in
  `metrics/weights/`, registered with torch-fidelity on import) and "inception-v3-compat" (paper profiles).
"""
from ganas_bench.metrics.digits_classifier import DigitsClassifier, load_digits_classifier
from ganas_bench.metrics.evaluate import BACKBONE_CHANNELS, default_cache_dir, evaluate_generator, inception_score
from ganas_bench.metrics.feature_extractor_digits import FeatureExtractorDigits
from ganas_bench.metrics.generated_images import quantise
from ganas_bench.metrics.inception_weights import resolve_inception_weights, untrained_inception_state_dict

__all__ = [
    "BACKBONE_CHANNELS", "DigitsClassifier", "FeatureExtractorDigits", "default_cache_dir", "evaluate_generator",
    "inception_score", "load_digits_classifier", "quantise", "resolve_inception_weights",
    "untrained_inception_state_dict",
]
