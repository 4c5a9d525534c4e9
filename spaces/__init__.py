"""Search spaces, installed as `ganas_bench.spaces`. Each sub-package registers itself with `@register_space`."""
from .base import Decision, Differentiable, RelaxedGAN, SearchSpace, SharedGAN, WeightSharing, Widths, count_parameters

__all__ = [
    "Decision", "Differentiable", "RelaxedGAN", "SearchSpace", "SharedGAN", "WeightSharing", "Widths", "count_parameters",
]
