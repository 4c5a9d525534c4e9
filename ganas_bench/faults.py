"""Test hook: kill this process with SIGKILL at a named point, to prove that a run survives any interruption.

Only the reliability tests set it. `GANAS_BENCH_FAULT="POINT:N"` makes the N-th pass through `fault_point(POINT)` in
this process send SIGKILL to the process itself: no `finally`, no `except`, no buffered output survives, exactly as with
`kill -9` or the OOM killer. Unset (always, outside those tests), a pass costs one environment lookup.

Points:
- `atomic_write:<file name>`  half the new bytes are in the temp file, nothing renamed yet (results.atomic_write_bytes)
- `evaluate`                  IS/FID/KID computed and not yet returned (pipeline.evaluate)
- `search_step`               before a search D step (rl/random shared training, differentiable iteration) or after one
                              (random from scratch)
- `train_iteration`           before each final-training iteration (under torchrun every rank passes it at once)
"""
from __future__ import annotations

import os
import signal

from .errors import UserError

ENV = "GANAS_BENCH_FAULT"
_passes: dict[str, int] = {}


def fault_point(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    point, _, count = spec.rpartition(":")
    if not point or not count.isdigit() or int(count) < 1:
        raise UserError(f"invalid {ENV}={spec!r}; accepted: POINT:N with N an integer >= 1, e.g. evaluate:2")
    if point != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] == int(count):
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))  # Windows: SIGTERM also ends it at once
