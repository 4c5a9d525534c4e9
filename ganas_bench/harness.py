"""`RunHarness`: what every piece of work in a run shares — config, device, real data, RNG, cost clock, step meter and
event log — set up once per run and handed to final training, evaluation and the search strategies.

Randomness: `reseed(seed)` seeds Python, NumPy and torch and gives a fresh NumPy Generator (`rng`) and a fresh count of
real-data streams; each stream opened with `real_batches` gets a seed derived from the run's seed and that count. A
checkpoint captures all of it (`rng_state()`); restoring it (`restore_rng_state`) makes every stream continue exactly.

Scale: `executor` runs independent jobs of the run (from-scratch candidates; ganas_bench/executors.py), `ranks` is this
process's place in a torchrun job (ganas_bench/distributed.py): its trainers are data-parallel, its real-data streams
sharded, and `on_main` computes a metric once and sends it to every rank.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from .checkpoint import capture_rng, restore_rng
from .config import Config
from .contracts.space import Widths
from .cost import CostClock
from .data import RealBatches, RealImages, load_real_images
from .device import resolve_device
from .distributed import SINGLE, Ranks, current as current_ranks
from .executors import LocalExecutor
from .seeding import deterministic_torch, seed_everything
from .training import GANTrainer
from .training.precision import check_precision
from .training.meter import StepMeter


class RunHarness:
    def __init__(self, cfg: Config, device: torch.device, real: RealImages, clock: CostClock | None = None,
                 log: Callable[..., None] | None = None, ranks: Ranks | None = None):
        ranks = ranks if ranks is not None else current_ranks()
        self.config = cfg
        self.device = device
        self.real = real
        self.clock = clock if clock is not None else CostClock(device, ranks=ranks.world_size)
        self.meter = StepMeter()
        self._log = log
        self.rng = np.random.default_rng(cfg.seed)
        self._streams = 0
        self.budget = None     # the weight-sharing search budget, set by the search loop
        self._evaluator = None
        self.executor = LocalExecutor()
        self.ranks = ranks

    @classmethod
    def open(cls, cfg: Config, executor=None, log: Callable[..., None] | None = None) -> "RunHarness":
        """Resolve the device, load the real images and make torch deterministic; seeded with cfg.seed. `executor`:
        where the run's independent jobs go (default: this process)."""
        ranks = current_ranks()
        for name in ("d_batch", "g_batch"):  # global batches, split over the ranks of a torchrun job
            ranks.local_size(getattr(cfg, name), name)
        real = load_real_images(cfg.dataset, cfg.data_root, cfg.image_size, cfg.download)
        deterministic_torch()
        device = resolve_device(cfg.device)
        check_precision(cfg.precision, device)
        harness = cls(cfg, device, real, log=log)
        if executor is not None:
            harness.executor = executor
        harness.reseed(cfg.seed)
        return harness

    @classmethod
    def for_job(cls, cfg: Config, real: RealImages, log: Callable[..., None] | None = None) -> "RunHarness":
        """A harness of this kind for one independent job of a run (e.g. a from-scratch candidate, here or on a Ray
        worker): the run's config and real images, this process's device."""
        deterministic_torch()
        return cls(cfg, resolve_device(cfg.device), real, log=log)

    def probe(self, cfg: Config | None = None) -> "RunHarness":
        """A throwaway single-process harness on this run's device and data (own clock, meter, RNG, no executor) for
        checking a checkpoint before anything is written: under torchrun only rank 0 checks, so its networks must not
        be data-parallel (a DDP wrapper would wait for ranks that never join)."""
        return RunHarness(cfg if cfg is not None else self.config, self.device, self.real, ranks=SINGLE)

    def with_config(self, cfg: Config) -> "RunHarness":
        """The same run (device, data, clock, log) under other settings, e.g. a space's paper recipe."""
        other = RunHarness(cfg, self.device, self.real, self.clock, self._log)
        other.rng, other._streams = self.rng, self._streams
        other.executor = self.executor
        return other

    # ------------------------------------------------------------------ randomness
    def reseed(self, seed: int) -> None:
        self.rng = seed_everything(seed)
        self._streams = 0

    def rng_state(self) -> dict:
        return {"rng": capture_rng(self.rng), "streams": self._streams}

    def restore_rng_state(self, state: dict) -> None:
        restore_rng(state["rng"], self.rng)
        self._streams = int(state["streams"])

    # ------------------------------------------------------------------ building blocks
    def widths(self, search: bool = True) -> Widths:
        return Widths.of(self.config, search)

    def real_batches(self, image_size: int, batch_size: int) -> RealBatches:
        """A fresh seeded stream of real batches at `image_size`; each stream gets its own derived seed."""
        images = self.real if image_size == self.real.image_size else self.real.resized(image_size)
        self._streams += 1
        return RealBatches(images, batch_size, seed=self.config.seed * 1000 + self._streams, device=self.device,
                           ranks=self.ranks if self.ranks.active else None)

    def make_trainer(self, generator, discriminator, **kwargs) -> GANTrainer:
        """The shared GAN step for these nets (the space's builders have already initialised them as their paper does);
        its step time goes to the run's meter."""
        kwargs.setdefault("ranks", self.ranks)
        kwargs.setdefault("report", lambda message: self.log("compile_fallback", message=message))
        return GANTrainer(generator, discriminator, self.config, self.device, meter=self.meter, **kwargs)

    @property
    def evaluator(self):
        """The proxy score of candidates, with failure handling (ganas_bench.search.evaluator)."""
        if self._evaluator is None:
            from .search.evaluator import CandidateEvaluator

            self._evaluator = CandidateEvaluator(self)
        return self._evaluator

    def supernet(self, space):
        """Shared training of `space`'s weight-sharing supernet at search widths (ganas_bench.search.supernet)."""
        from .search.supernet import SharedTraining

        return SharedTraining(space, self)

    def on_main(self, fn, *args, **kwargs):
        """`fn` (a metric, the proxy) on rank 0 only; its result, every RNG stream and the evaluator's counters (which
        `fn` may have moved) then on every rank, as if each had run it. Plainly `fn(...)` outside torchrun."""
        if not self.ranks.active:
            return fn(*args, **kwargs)
        result = fn(*args, **kwargs) if self.ranks.is_main else None
        rng = capture_rng(self.rng)
        rng["torch_cuda"] = []  # each rank's own device has its own stream: rank 0's device's state goes to each
        on_device = torch.cuda.get_rng_state() if self.device.type == "cuda" else None
        result, rng, on_device, counters = self.ranks.broadcast((result, rng, on_device, self.evaluator.state_dict()))
        restore_rng(rng, self.rng)
        if on_device is not None:
            torch.cuda.set_rng_state(on_device)
        self.evaluator.load_state_dict(counters)
        return result

    # ------------------------------------------------------------------ reporting
    def log_to(self, log: Callable[..., None] | None) -> "RunHarness":
        """Send events to `log` (a run directory's `log`) from now on; returns self."""
        self._log = log
        return self

    def log(self, event: str, **fields) -> None:
        if self._log is not None:
            self._log(event, **fields)

    @staticmethod
    def progress(total: int, desc: str):
        # disable=None: a bar on a terminal, silence in logs and CI
        return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True, mininterval=1.0,
                    disable=None if current_ranks().is_main else True)
