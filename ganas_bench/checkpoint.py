"""Checkpoint files that load with `torch.load(weights_only=True)` and never execute code.

Everything saved is tensors, numbers, strings, lists and dicts; RNG states are converted to those (NumPy's legacy state
holds an ndarray, which the safe unpickler refuses, so it is stored as a tensor). A truncated or tampered file gives one
clear `UserError`, never a traceback from deep inside torch.
"""
from __future__ import annotations

import errno
import os
import random
import re
import stat
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
    """The dict in a checkpoint file (a regular file, never through a symbolic link), loaded without running any code
    from it; anything else is one UserError."""
    path = Path(path)
    where = _shown(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UserError(f"checkpoint {where} does not exist") from None
    except (OSError, ValueError) as exc:
        problem = "is a symbolic link" if getattr(exc, "errno", None) == errno.ELOOP else \
            f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
        raise UserError(f"checkpoint {where} {problem}; it is not a ganas-bench checkpoint") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UserError(f"checkpoint {where} is not a regular file; it is not a ganas-bench checkpoint")
        try:
            state = torch.load(handle, map_location="cpu", weights_only=True)
        except Exception as exc:  # a damaged file makes torch's loaders raise a dozen types (IndexError, ...)
            raise UserError(f"checkpoint {where} is truncated, corrupt or not a ganas-bench checkpoint: "
                            f"{_load_failure(exc)}") from None
    if not isinstance(state, dict):
        raise UserError(f"checkpoint {where} does not hold a dict of tensors; it is not a ganas-bench checkpoint")
    return state


def _shown(path: Path) -> str:
    from .errors import preview

    return preview(str(path), 120)


def check_train_checkpoint(state: dict, path: str | Path) -> dict:
    """`state` if it has the shape of a training checkpoint, else a UserError naming the first wrong entry. The scores
    it carries (`final`, `best`, `untrained`) must be results a metrics.json could hold: a resume writes them there."""
    from .runs.status import valid_metrics

    def bad(key: str, expected: str):
        raise UserError(f"checkpoint {_shown(Path(path))} has no valid {key!r} entry ({expected} expected); it is "
                        "damaged or not a ganas-bench training checkpoint")

    for key, kind in TRAIN_KEYS.items():
        value = state.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            bad(key, kind.__name__)
    if state["iteration"] < 0:
        bad("iteration", "an integer >= 0")
    final, best, untrained = state.get("final"), state.get("best"), state.get("untrained")
    if final is not None and not (isinstance(final, dict) and valid_metrics(final.get("scores"))
                                  and _is_int(final.get("best_iter"))):
        bad("final", "{'scores': finite fid, is_mean, kid_mean, 'best_iter': int}")
    if best is not None and not (isinstance(best, dict) and valid_metrics(best.get("scores"))
                                 and _is_int(best.get("iteration")) and isinstance(best.get("generator_ema"), dict)):
        bad("best", "{'scores', 'iteration', 'generator_ema'}")
    if untrained is not None and not (isinstance(untrained, dict) and all(
            isinstance(untrained.get(k), (int, float)) and not isinstance(untrained.get(k), bool)
            for k in ("fid", "is_mean", "kid_mean"))):
        bad("untrained", "scores with numbers fid, is_mean, kid_mean")
    return state


def check_optimizer_states(optimizers) -> None:
    """Raise ValueError unless every loaded optimiser state fits its parameter: `load_state_dict` of a torch optimiser
    takes moments of any shape, and a wrong one would only fail at the first step, after the run was reopened."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            for param in group["params"]:
                for key, value in optimizer.state.get(param, {}).items():
                    if key == "step":
                        if not (torch.is_tensor(value) and value.numel() == 1) and not isinstance(value, (int, float)):
                            raise ValueError(f"optimiser step count of type {type(value).__name__}")
                    elif not torch.is_tensor(value) or value.shape != param.shape or not value.is_floating_point():
                        shape = tuple(value.shape) if torch.is_tensor(value) else type(value).__name__
                        raise ValueError(f"optimiser state {key!r} is {shape}, its parameter {tuple(param.shape)}")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _load_failure(exc: Exception) -> str:
    """torch's reason in a few words, never its advice to retry with weights_only=False (that runs the file's code)."""
    text = str(exc).strip()
    if "Weights only load failed" in text:
        return "it holds objects other than tensors and plain data, refused because loading them could run code"
    first = text.splitlines()[0] if text else type(exc).__name__
    return re.split(r"\.\s+(?=[A-Z])", first)[0][:200]
