"""Opt-in mixed precision for the GAN steps: which precisions a device takes, its autocast, its gradient scaler.

fp32 (the default) is plain float32 eager, what the originals compute; bf16 and fp16 run the forward passes under
`torch.autocast` with the device type taken from the tensors' device, so the same code serves CPU and GPU.
- bf16: on CUDA devices that support it, and on CPUs with native bfloat16 (AVX512-BF16 or AMX); elsewhere it would be
  emulated, slower than fp32, so it is refused.
- fp16: CUDA only, with a `torch.amp.GradScaler` per optimiser (fp16 gradients underflow without loss scaling).
Refusals are one UserError naming the value and what this device accepts, raised before a run directory exists.
"""
from __future__ import annotations

import contextlib

import torch

from ..config import PRECISIONS
from ..errors import UserError

__all__ = ["PRECISIONS", "accepted", "autocast", "bf16_supported", "check_precision", "grad_scaler"]
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def bf16_supported(device: torch.device) -> bool:
    """Native bfloat16 on `device` (CUDA: torch's check; CPU: AVX512-BF16 or AMX tiles)."""
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch's own CPU probes
        return any(getattr(torch.cpu, name, lambda: False)() for name in checks)
    return False


def accepted(device: torch.device) -> tuple[str, ...]:
    """The precisions `device` takes."""
    return ("fp32",) + (("bf16",) if bf16_supported(device) else ()) + (("fp16",) if device.type == "cuda" else ())


def check_precision(precision: str, device: torch.device) -> None:
    """A UserError unless `device` takes `precision` (see the module docstring)."""
    if precision not in accepted(device):
        why = {"fp16": "fp16 needs a CUDA device", "bf16": f"this {device.type} has no native bfloat16"}.get(
            precision, f"one of {', '.join(PRECISIONS)}")
        raise UserError(f"invalid precision={precision!r} on {device.type} ({why}); accepted here: "
                        f"{', '.join(accepted(device))}")


def autocast(precision: str, device: torch.device):
    """The forward-pass context of `precision` on `device`: nothing for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=DTYPES[precision])


def grad_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler | None:
    """A gradient scaler for fp16 on CUDA, else None (bf16 has fp32's exponent range and needs none)."""
    return torch.amp.GradScaler(device.type) if precision == "fp16" and device.type == "cuda" else None
