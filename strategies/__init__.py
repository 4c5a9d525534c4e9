"""Search strategies, installed as `ganas_bench.strategies`. Each module registers itself with `@register_strategy`;
the contract they implement lives in `ganas_bench.contracts.strategy`."""
