"""Device resolution: one code path for cpu, cuda and mps; `auto` picks the best available."""
from __future__ import annotations

import torch

from .errors import UserError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device {name!r} was asked for but no CUDA device is available; use --device cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UserError("device 'mps' was asked for but MPS is not available; use --device cpu or auto")
    return torch.device(name)


def device_kind(device: torch.device) -> str:
    return {"cuda": "gpu", "mps": "mps"}.get(device.type, "cpu")
