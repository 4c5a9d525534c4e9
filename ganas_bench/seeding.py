"""Seeding and RNG state: Python, NumPy and torch (CPU and CUDA) together, so one seed fixes a whole run."""
from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch

from .checkpoint import capture_rng, restore_rng


def seed_everything(seed: int) -> np.random.Generator:
    """Seed every global RNG and return the NumPy Generator strategies should draw from."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def deterministic_torch() -> None:
    """Ask torch for deterministic kernels (warn, do not fail, where one has none) — on CPU the results are bit-exact."""
    torch.use_deterministic_algorithms(True, warn_only=True)


@contextmanager
def untouched_rng(device: torch.device) -> Iterator[None]:
    """Run the block without moving any global random stream (Python, NumPy, torch CPU and `device`'s).

    Evaluation runs inside it: torch-fidelity's data loaders draw their seeds from the global torch RNG, and a run must
    train the same whether or not (and however often) it is evaluated on the way."""
    saved = capture_rng()
    on_mps = torch.mps.get_rng_state() if device.type == "mps" else None  # capture_rng holds CPU and CUDA only
    try:
        yield
    finally:
        restore_rng(saved)
        if on_mps is not None:
            torch.mps.set_rng_state(on_mps)
