"""Checkpoint files that load with `torch.load(weights_only=True)` and never execute code.

Everything saved is tensors, numbers, strings, lists and dicts; RNG states are converted to those (NumPy's legacy state
holds an ndarray, which the safe unpickler refuses, so it is stored as a tensor). A truncated or tampered file gives one
clear `UserError`, never a traceback from deep inside torch.
"""
from __future__ import annotations

import random
import re
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


# What a training checkpoint (pipeline.train_and_evaluate) must hold before any of it is trusted.
TRAIN_KEYS = {"kind": str, "genotype": str, "iteration": int, "trainer": dict, "batches": dict, "clock": dict,
              "rng": dict, "generator_ema": dict}


def load_checkpoint(path: str | Path) -> dict:
    """The dict in a checkpoint file, loaded without running any code from it; anything else is one UserError."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UserError(f"checkpoint {str(path)!r} does not exist") from None
    except Exception as exc:  # a damaged file makes torch's loaders raise a dozen types (IndexError, struct.error, ...)
        raise UserError(f"checkpoint {str(path)!r} is truncated, corrupt or not a ganas-bench checkpoint: "
                        f"{_load_failure(exc)}") from None
    if not isinstance(state, dict):
        raise UserError(f"checkpoint {str(path)!r} does not hold a dict of tensors; it is not a ganas-bench checkpoint")
    return state


def check_train_checkpoint(state: dict, path: str | Path) -> dict:
    """`state` if it has the shape of a training checkpoint, else a UserError naming the first wrong entry."""
    def bad(key: str, expected: str):
        raise UserError(f"checkpoint {str(path)!r} has no valid {key!r} entry ({expected} expected); it is damaged or "
                        "not a ganas-bench training checkpoint")

    for key, kind in TRAIN_KEYS.items():
        value = state.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            bad(key, kind.__name__)
    for key in ("untrained", "best", "final"):
        if state.get(key) is not None and not isinstance(state[key], dict):
            bad(key, "dict or None")
    final = state.get("final")
    if final is not None and not (isinstance(final.get("scores"), dict) and type(final.get("best_iter")) is int):
        bad("final", "{'scores': dict, 'best_iter': int}")
    return state


def _load_failure(exc: Exception) -> str:
    """torch's reason in a few words, never its advice to retry with weights_only=False (that runs the file's code)."""
    text = str(exc).strip()
    if "Weights only load failed" in text:
        return "it holds objects other than tensors and plain data, refused because loading them could run code"
    first = text.splitlines()[0] if text else type(exc).__name__
    return re.split(r"\.\s+(?=[A-Z])", first)[0][:200]
