"""Seeding and RNG state: Python, NumPy and torch (CPU and CUDA) together, so one seed fixes a whole run."""
from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Iterator

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


@contextmanager
def untouched_rng(device: torch.device) -> Iterator[None]:
    """Run the block without moving any global random stream (Python, NumPy, torch CPU and `device`'s).

    Evaluation runs inside it: torch-fidelity's data loaders draw their seeds from the global torch RNG, and a run must
    train the same whether or not (and however often) it is evaluated on the way."""
    saved = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    on_device = (torch.cuda.get_rng_state_all() if device.type == "cuda"
                 else torch.mps.get_rng_state() if device.type == "mps" else None)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])
        if device.type == "cuda":
            torch.cuda.set_rng_state_all(on_device)
        elif device.type == "mps":
            torch.mps.set_rng_state(on_device)
