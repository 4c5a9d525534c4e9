"""Search strategies, installed as `ganas_bench.strategies`. Each module registers itself with `@register_strategy`."""
from .base import Candidate, SearchResult, Strategy, check_compatible

__all__ = ["Candidate", "SearchResult", "Strategy", "check_compatible"]
