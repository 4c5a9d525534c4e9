"""`RunHarness`: what every piece of work in a run shares — config, device, real data, RNG, cost clock, step meter and
event log — set up once per run and handed to final training, evaluation and the search strategies.

Randomness: `reseed(seed)` seeds Python, NumPy and torch and gives a fresh NumPy Generator (`rng`) and a fresh count of
real-data streams; each stream opened with `real_batches` gets a seed derived from the run's seed and that count. A
checkpoint captures all of it (`rng_state()`); restoring it (`restore_rng_state`) makes every stream continue exactly.
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
from .seeding import deterministic_torch, seed_everything
from .training import GANTrainer
from .training.meter import StepMeter


class RunHarness:
    def __init__(self, cfg: Config, device: torch.device, real: RealImages, clock: CostClock | None = None,
                 log: Callable[..., None] | None = None):
        self.config = cfg
        self.device = device
        self.real = real
        self.clock = clock if clock is not None else CostClock(device)
        self.meter = StepMeter()
        self._log = log
        self.rng = np.random.default_rng(cfg.seed)
        self._streams = 0
        self.budget = None     # the weight-sharing search budget, set by the search loop
        self._evaluator = None

    @classmethod
    def open(cls, cfg: Config, log: Callable[..., None] | None = None) -> "RunHarness":
        """Resolve the device, load the real images and make torch deterministic; seeded with cfg.seed."""
        real = load_real_images(cfg.dataset, cfg.data_root, cfg.image_size, cfg.download)
        deterministic_torch()
        harness = cls(cfg, resolve_device(cfg.device), real, log=log)
        harness.reseed(cfg.seed)
        return harness

    def with_config(self, cfg: Config) -> "RunHarness":
        """The same run (device, data, clock, log) under other settings, e.g. a space's paper recipe."""
        other = RunHarness(cfg, self.device, self.real, self.clock, self._log)
        other.rng, other._streams = self.rng, self._streams
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
        cfg = self.config
        return Widths(
            latent_dim=cfg.latent_dim, bottom_width=cfg.bottom_width,
            gf_dim=cfg.search_gf_dim if search else cfg.gf_dim, df_dim=cfg.search_df_dim if search else cfg.df_dim,
            channels=cfg.channels, image_size=cfg.image_size,
        )

    def real_batches(self, image_size: int, batch_size: int) -> RealBatches:
        """A fresh seeded stream of real batches at `image_size`; each stream gets its own derived seed."""
        images = self.real if image_size == self.real.image_size else self.real.resized(image_size)
        self._streams += 1
        return RealBatches(images, batch_size, seed=self.config.seed * 1000 + self._streams, device=self.device)

    def make_trainer(self, generator, discriminator, **kwargs) -> GANTrainer:
        """The shared GAN step for these nets (the space's builders have already initialised them as their paper does);
        its step time goes to the run's meter."""
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
        return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True, mininterval=1.0, disable=None)
