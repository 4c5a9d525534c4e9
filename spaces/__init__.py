"""Search spaces, installed as `ganas_bench.spaces`. Each sub-package registers itself with `@register_space`; the
contract they implement lives in `ganas_bench.contracts.space`."""
