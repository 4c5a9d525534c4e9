"""Checkpoint files that load with `torch.load(weights_only=True)` and never execute code.

Everything saved is tensors, numbers, strings, lists and dicts; RNG states are converted to those (NumPy's legacy state
holds an ndarray, which the safe unpickler refuses, so it is stored as a tensor). A truncated or tampered file gives one
clear `UserError`, never a traceback from deep inside torch.
"""
from __future__ import annotations

import pickle
import random
import zipfile
from pathlib import Path

import numpy as np
import torch

from .errors import UserError


def capture_rng(np_rng: np.random.Generator | None = None) -> dict:
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": [version, list(internal), gauss],
        "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached": float(cached)},
        "torch_cpu": torch.get_rng_state(),
        "torch_cuda": list(torch.cuda.get_rng_state_all()) if torch.cuda.is_available() else [],
    }
    if np_rng is not None:
        state["numpy_generator"] = np_rng.bit_generator.state
    return state


def restore_rng(state: dict, np_rng: np.random.Generator | None = None) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    torch.set_rng_state(state["torch_cpu"])
    if state["torch_cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["torch_cuda"])
    if np_rng is not None and "numpy_generator" in state:
        np_rng.bit_generator.state = state["numpy_generator"]


def load_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UserError(f"checkpoint {str(path)!r} does not exist") from None
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"checkpoint {str(path)!r} is truncated, corrupt or not a ganas-bench checkpoint "
                        f"(it must load with weights_only=True): {first[:300]}") from None
    if not isinstance(state, dict):
        raise UserError(f"checkpoint {str(path)!r} does not hold a dict of tensors; it is not a ganas-bench checkpoint")
    return state
