"""The harness context a strategy runs inside: data, trainer, proxy metric, clock, logger and RNG.

Strategies never touch files, devices or metrics directly; everything they need is a method here, so that a strategy
written against this class runs unchanged on the tiny profile and on a GPU.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from .config import Config
from .cost import CostClock
from .data import RealBatches, RealImages
from .spaces.base import Widths
from .training import GANTrainer


class SearchContext:
    def __init__(self, cfg: Config, device: torch.device, real: RealImages, rng: np.random.Generator,
                 clock: CostClock, log: Callable[..., None] | None = None):
        self.config = cfg
        self.device = device
        self.real = real
        self.rng = rng
        self.clock = clock
        self._log = log
        self.trainers: list[GANTrainer] = []
        self.proxy_seconds = 0.0
        self._batch_streams = 0

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
        self._batch_streams += 1
        return RealBatches(images, batch_size, seed=self.config.seed * 1000 + self._batch_streams, device=self.device)

    def make_trainer(self, generator, discriminator, **kwargs) -> GANTrainer:
        """The shared GAN step for these nets (the space's builders have already initialised them as their paper does)."""
        trainer = GANTrainer(generator, discriminator, self.config, self.device, **kwargs)
        self.trainers.append(trainer)
        return trainer

    def proxy_score(self, generator, n: int | None = None) -> float:
        """Inception score (mean over 10 splits) of `generator` on n samples with the profile's backbone."""
        from .metrics import inception_score

        start = time.perf_counter()
        was_training = generator.training
        generator.eval()
        try:
            mean, _ = inception_score(
                generator, self.config.latent_dim, n=n or self.config.proxy_samples, backbone=self.config.backbone,
                device=self.device, inception_weights=self.config.inception_weights or None,
            )
        finally:
            generator.train(was_training)
            self.proxy_seconds += time.perf_counter() - start
        return float(mean)

    def log(self, event: str, **fields) -> None:
        if self._log is not None:
            self._log(event, **fields)

    def progress(self, total: int, desc: str):
        return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True, mininterval=1.0)

    def useful_seconds(self) -> float:
        """Wall time spent in GAN steps and metric forwards: the part of a search that is not Python overhead."""
        return sum(t.step_seconds for t in self.trainers) + self.proxy_seconds
