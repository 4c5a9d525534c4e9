"""Cost accounting: wall time, device-hours, training-step FLOPs and parameter counts.

Device-hours are GPU-hours on a GPU and CPU-core-hours on a CPU (wall time x the threads torch uses): the papers report
GPU-days, and a CPU run is never passed off as one — tables show the unit and the device beside every number.
"""
from __future__ import annotations

import copy
import time
from contextlib import contextmanager

import torch
from torch.utils.flop_counter import FlopCounterMode

from .device import device_kind
from .flop_counts import COUNT_BATCH


RANK_SECONDS = "rank_s"  # a phase's seconds summed over its torchrun ranks (kept once it ran on more than one)


class CostClock:
    """Accumulates wall time per phase (search, train, eval) and the number of steps taken."""

    def __init__(self, device: torch.device, ranks: int = 1):
        self.device = device
        self.ranks = ranks  # processes of a torchrun job, each on its own device: device-hours count all of them
        self.phases: dict[str, dict] = {}
        self._running: dict[str, float] = {}  # phase -> perf_counter at which its open `phase()` block started

    @contextmanager
    def phase(self, name: str):
        self._running[name] = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - self._running.pop(name))

    def add(self, name: str, seconds: float, steps: int = 0) -> None:
        entry = self.phases.setdefault(name, {"wall_s": 0.0, "steps": 0})
        self._count(entry, seconds)
        entry["steps"] += steps

    def _count(self, entry: dict, seconds: float) -> None:
        if self.ranks > 1 or RANK_SECONDS in entry:  # once a phase ran on several ranks its sum over them is kept
            entry[RANK_SECONDS] = entry.get(RANK_SECONDS, entry["wall_s"]) + seconds * self.ranks
        entry["wall_s"] += seconds

    def note(self, name: str, **fields) -> None:
        self.phases.setdefault(name, {"wall_s": 0.0, "steps": 0}).update(fields)

    def summary(self, name: str) -> dict:
        entry = dict(self.phases.get(name, {"wall_s": 0.0, "steps": 0}))
        wall = entry.pop("wall_s")
        return cost_entry(wall, self.device, ranks=self.ranks, rank_s=entry.pop(RANK_SECONDS, wall), **entry)

    def total(self) -> dict:
        wall = sum(e["wall_s"] for e in self.phases.values())
        rank_s = sum(e.get(RANK_SECONDS, e["wall_s"]) for e in self.phases.values())
        return cost_entry(wall, self.device, ranks=self.ranks, rank_s=rank_s,
                          steps=sum(e["steps"] for e in self.phases.values()))

    def state_dict(self) -> dict:
        """Phases as they stand now, the time of phases still open included (a checkpoint taken mid-search keeps the
        search time spent so far)."""
        now = time.perf_counter()
        state = {k: dict(v) for k, v in self.phases.items()}
        for name, start in self._running.items():
            entry = state.setdefault(name, {"wall_s": 0.0, "steps": 0})
            self._count(entry, now - start)
        return state

    def load_state_dict(self, state: dict) -> None:
        """Continue from `state`; a phase open now counts from this moment on top of the state's time."""
        if not all(isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("wall_s"), (int, float))
                   and isinstance(v.get("steps"), (int, float)) for k, v in state.items()):
            raise ValueError("a cost clock state maps phase names to {'wall_s': seconds, 'steps': count, ...}")
        self.phases = {k: dict(v) for k, v in state.items()}
        now = time.perf_counter()
        self._running = {name: now for name in self._running}


def cost_entry(wall_s: float, device: torch.device, ranks: int = 1, rank_s: float | None = None, **extra) -> dict:
    """`ranks` > 1: a torchrun job of that many processes, each with a `device` of its own. `rank_s`: the seconds
    summed over the processes (wall x ranks unless the rank count changed at a resume); device-hours count them."""
    kind = device_kind(device)
    if kind == "cpu":
        units, unit = torch.get_num_threads(), "CPU-core-hours"
    else:
        units, unit = 1, "GPU-hours"
    label = device_label(device) + (f" x {ranks} ranks" if ranks > 1 else "")
    rank_s = wall_s * ranks if rank_s is None else rank_s
    return {"wall_s": round(wall_s, 3), "device": label, "device_kind": kind,
            "device_hours": rank_s * units / 3600.0, "unit": unit, **extra}


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "cpu":
        return f"cpu x{torch.get_num_threads()} threads"
    return device.type


def count_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def training_step_flops(generator, discriminator, latent_dim: int, real: torch.Tensor, g_batch: int, n_critic: int) -> int:
    """FLOPs of one training iteration (n_critic D steps + one G step), forward and backward, counted by torch, as the
    originals' textbook step computes them (D's weight gradients in the G step included).

    Counted at a batch of COUNT_BATCH (2) and scaled to `real`'s batch and `g_batch` (convolution and matrix-multiply
    FLOPs are proportional to the batch: the same number as a count at full size, in a fraction of the time and
    memory), on deep copies with a private RNG, so neither the weights, the BatchNorm statistics nor the global RNG change.
    """
    count = COUNT_BATCH
    device = real.device
    generator, discriminator = copy.deepcopy(generator), copy.deepcopy(discriminator)
    rng = torch.Generator(device=device).manual_seed(0)
    counter = FlopCounterMode(display=False)
    with counter:
        z = torch.randn(count, latent_dim, device=device, generator=rng)
        with torch.no_grad():
            fake = generator(z)
        d_loss = discriminator(real[:1].expand(count, *real.shape[1:])).mean() + discriminator(fake).mean()
        d_loss.backward()
        d_flops = counter.get_total_flops()
        z = torch.randn(count, latent_dim, device=device, generator=rng)
        g_loss = discriminator(generator(z)).mean()
        g_loss.backward()
    g_flops = counter.get_total_flops() - d_flops
    return int(n_critic * d_flops * real.shape[0] // count + g_flops * g_batch // count)
