"""Seeding and RNG state: Python, NumPy and torch (CPU and CUDA) together, so one seed fixes a whole run."""
from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> np.random.Generator:
    """Seed every global RNG and return the NumPy Generator strategies should draw from."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def deterministic_torch() -> None:
    """Ask torch for deterministic kernels (warn, do not fail, where one has none) — on CPU the results are bit-exact."""
    torch.use_deterministic_algorithms(True, warn_only=True)


def rng_state(np_rng: np.random.Generator | None = None) -> dict:
    state = {
        "python": random.getstate(),
        "numpy_global": np.random.get_state(),
        "torch_cpu": torch.get_rng_state(),
        "torch_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    if np_rng is not None:
        state["numpy_generator"] = np_rng.bit_generator.state
    return state
