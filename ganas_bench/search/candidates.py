"""When one candidate architecture fails inside a search, the search goes on without it.

A candidate fails when its losses turn NaN/Inf (`DivergedError`), when its generator's output is NaN/Inf or collapsed
(every sample the same image, see `check_output`), or when it runs out of memory (`is_out_of_memory`). The strategies
ask the harness's `CandidateEvaluator` (evaluator.py) for scores, which turns those failures into a `candidate_failed` event
with the reason, counts it (the count survives a resume and lands in search.json's info as `failed_candidates`), frees
what the device cached, and lets the search continue. Any other exception is a bug or a broken run and propagates.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass

import torch

from ..training import DivergedError

# Samples whose per-pixel standard deviation across the batch averages below half a grey level (images in [-1, 1],
# 255 levels) all quantise to (nearly) the same picture: the generator has collapsed to one output.
COLLAPSE_STD = 1.0 / 255.0
CHECK_SAMPLES = 64
CHECK_SEED = 4321

_OOM_TEXT = ("out of memory", "can't allocate memory", "cannot allocate memory", "not enough memory")


class CandidateFailed(RuntimeError):
    """A candidate cannot be scored: its generator's output is NaN/Inf or collapsed (`collapsed` says which)."""

    def __init__(self, message: str, collapsed: bool = False):
        super().__init__(message)
        self.collapsed = collapsed


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or the RuntimeError a CPU / MPS allocator raises when it cannot allocate."""
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and any(text in str(exc).lower() for text in _OOM_TEXT)


def release_memory(device: torch.device) -> None:
    """Drop what the failed candidate left behind, so the next one gets the memory back."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()


def failure_reason(exc: BaseException) -> str | None:
    """The recorded reason when `exc` fails one candidate; None when it is not a candidate failure."""
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, DivergedError):
        return f"diverged: {text}"
    if isinstance(exc, CandidateFailed):
        return text
    if is_out_of_memory(exc):
        return f"out of memory: {text}"
    return None


def check_output(generator, latent_dim: int, device: torch.device) -> None:
    """Raise CandidateFailed when `generator` (in eval mode) gives NaN/Inf or collapsed samples on a fixed z.

    z comes from its own seeded generator, so the check draws nothing from the global RNG streams."""
    z = torch.randn(CHECK_SAMPLES, latent_dim, generator=torch.Generator().manual_seed(CHECK_SEED)).to(device)
    with torch.inference_mode():
        images = generator(z)
    if not bool(torch.isfinite(images).all()):
        raise CandidateFailed("generator output has NaN/Inf values")
    spread = float(images.float().std(dim=0).mean())
    if spread < COLLAPSE_STD:
        raise CandidateFailed(f"collapsed: samples differ by {spread:.2e} on average per pixel (< {COLLAPSE_STD:.2e}, "
                              "half a grey level): every z gives the same image", collapsed=True)


@dataclass
class Attempt:
    """What `CandidateEvaluator.attempt` yields: after the `with` block, `failed` says whether the candidate failed."""

    failed: bool = False
    reason: str | None = None
