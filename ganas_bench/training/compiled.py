"""Opt-in `torch.compile` of G and D for the GAN steps, falling back to eager where it cannot compile.

`torch.compile` compiles lazily, at a module's first call; a backend that cannot build (no C compiler, an operator
it does not know) raises then. `CompiledOrEager` catches that once, says so on stderr and in the run's events, and
calls the plain module from then on: the run continues in eager mode instead of failing. The weights are the plain
module's (compiling wraps, it does not copy), so state dicts and checkpoints are unchanged.
A weight-sharing supernet changes its graph with every architecture; torch recompiles a few times and then runs
that module eagerly by itself (its recompile limit), so compile pays mainly in final training.
"""
from __future__ import annotations

import sys
from typing import Callable

import torch
from torch import nn


class CompiledOrEager:
    """Calls `torch.compile(module)`; after a compile error, `module` itself (reported once through `report`)."""

    def __init__(self, module: nn.Module, name: str, report: Callable[[str], None] | None = None):
        self.module = module
        self.name = name
        self.compiled = torch.compile(module)
        self.report = report
        self.failed: str | None = None

    def __call__(self, *args, **kwargs):
        if self.failed is None:
            try:
                return self.compiled(*args, **kwargs)
            except torch._dynamo.exc.TorchDynamoException as exc:  # compile errors only; a real error is re-raised
                self.failed = " ".join(str(exc).split())[:200] or type(exc).__name__
                message = f"torch.compile of {self.name} failed, running it eagerly: {self.failed}"
                print(f"ganas-bench: {message}", file=sys.stderr)
                if self.report is not None:
                    self.report(message)
        return self.module(*args, **kwargs)
