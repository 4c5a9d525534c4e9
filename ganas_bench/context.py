"""The harness context a strategy runs inside: data, trainer, proxy metric, clock, logger and RNG.

Strategies never touch files, devices or metrics directly; everything they need is a method here, so that a strategy
written against this class runs unchanged on the tiny profile and on a GPU.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from .candidates import Attempt, check_output, failure_reason, release_memory
from .checkpoint import capture_rng, load_checkpoint, restore_rng
from .config import Config
from .cost import CostClock
from .data import RealBatches, RealImages
from .spaces.base import Widths
from .training import GANTrainer


PROXY_Z_SEED = 0  # the z of every proxy evaluation under proxy_z="fixed" (torch-fidelity's sampling seed)


class SearchContext:
    def __init__(self, cfg: Config, device: torch.device, real: RealImages, rng: np.random.Generator,
                 clock: CostClock, log: Callable[..., None] | None = None, store: "SearchStateStore | None" = None):
        self.config = cfg
        self.device = device
        self.real = real
        self.rng = rng
        self.clock = clock
        self._log = log
        self._store = store
        self.trainers: list[GANTrainer] = []
        self.proxy_seconds = 0.0
        self.failed_candidates = 0
        self._batch_streams = 0
        self._retired_step_seconds = 0.0  # GAN-step time of trainers from before a resume
        self._pending_rng: dict | None = None

    # ------------------------------------------------------------------ search checkpoints
    def save_search_state(self, state: dict) -> None:
        """Checkpoint a strategy at a safe point. `state` holds tensors, numbers, strings, lists and dicts only; the
        harness adds every RNG state, the cost clock and its own counters, and writes it atomically."""
        if self._store is None:
            return
        harness = {"batch_streams": self._batch_streams, "proxy_seconds": self.proxy_seconds,
                   "step_seconds": self.useful_seconds() - self.proxy_seconds,
                   "failed_candidates": self.failed_candidates}
        self._store.save({"strategy": state, "harness": harness, "rng": capture_rng(self.rng),
                          "clock": self.clock.state_dict()})
        self.log("search_checkpoint")

    def load_search_state(self) -> dict | None:
        """The state last given to `save_search_state` in this run (clock and counters restored), or None.

        The RNG states are restored only by `resume_rng()`, which the strategy calls once it has rebuilt (and so
        re-initialised) every module the state is loaded into: from then on every random stream continues exactly where
        the checkpoint left it."""
        saved = self._store.load() if self._store is not None else None
        if saved is None:
            return None
        harness = saved["harness"]
        self.proxy_seconds = float(harness["proxy_seconds"])
        self.failed_candidates = int(harness.get("failed_candidates", 0))
        self._retired_step_seconds = float(harness["step_seconds"]) - sum(t.step_seconds for t in self.trainers)
        self.clock.load_state_dict(saved["clock"])
        self._pending_rng = {"rng": saved["rng"], "batch_streams": int(harness["batch_streams"])}
        self.log("search_resume")
        return saved["strategy"]

    def resume_rng(self) -> None:
        """Restore the RNG states of the checkpoint `load_search_state` read, and the count of real-data streams opened
        (each stream's seed derives from it), so streams opened later get the seeds they had in the uninterrupted run.
        A no-op on a fresh start or when already done."""
        if self._pending_rng is not None:
            restore_rng(self._pending_rng["rng"], self.rng)
            self._batch_streams = self._pending_rng["batch_streams"]
            self._pending_rng = None

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

    @contextmanager
    def candidate(self, choices: Sequence[int], phase: str) -> Iterator[Attempt]:
        """Wrap one candidate's work (`phase`: what was being done, e.g. "score"): when it diverges, gives NaN/Inf or
        collapsed output, or runs out of memory, the failure is logged with its reason and counted, the device's cache
        freed, and the caller sees `attempt.failed` instead of an exception (see ganas_bench/candidates.py)."""
        attempt = Attempt()
        try:
            yield attempt
        except Exception as exc:
            reason = failure_reason(exc)
            if reason is None:
                raise
            attempt.failed, attempt.reason = True, reason
        if attempt.failed:  # outside the except block: the traceback, and the tensors it holds, are gone
            self.record_failure(choices, phase, attempt.reason)

    def record_failure(self, choices: Sequence[int], phase: str, reason: str) -> None:
        """Count and log one failed candidate and free the device's cache (call it outside any `except` block)."""
        release_memory(self.device)
        self.failed_candidates += 1
        self.log("candidate_failed", choices=[int(c) for c in choices], phase=phase, reason=reason)

    def proxy_score(self, generator, n: int | None = None) -> float:
        """Inception score (mean over 10 splits) of `generator` on n samples with the profile's backbone.

        z: the same seeded z every time (`proxy_z="fixed"`, the default: rewards differ only by architecture and
        weights) or a fresh z per call seeded from `self.rng` (`"fresh"`, as AutoGAN's code draws a new z).
        Raises `CandidateFailed` first when the generator's output is NaN/Inf or collapsed (`check_output`), so a broken
        candidate never gets a number that looks like a score."""
        from .metrics import inception_score

        start = time.perf_counter()
        was_training = generator.training
        generator.eval()
        try:
            check_output(generator, self.config.latent_dim, self.device)
            z_seed = PROXY_Z_SEED if self.config.proxy_z == "fixed" else int(self.rng.integers(2**31 - 1))
            mean, _ = inception_score(
                generator, self.config.latent_dim, n=n or self.config.proxy_samples, backbone=self.config.backbone,
                device=self.device, inception_weights=self.config.inception_weights or None, seed=z_seed,
            )
        finally:
            generator.train(was_training)
            self.proxy_seconds += time.perf_counter() - start
        return float(mean)

    def log(self, event: str, **fields) -> None:
        if self._log is not None:
            self._log(event, **fields)

    def progress(self, total: int, desc: str):
        # disable=None: a bar on a terminal, silence in logs and CI
        return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True, mininterval=1.0, disable=None)

    def useful_seconds(self) -> float:
        """Wall time spent in GAN steps and metric forwards: the part of a search that is not Python overhead."""
        return self._retired_step_seconds + sum(t.step_seconds for t in self.trainers) + self.proxy_seconds


class SearchStateStore:
    """Where a run keeps its search checkpoint: `checkpoint.pt` of the run directory, tagged kind="search"."""

    def __init__(self, run):
        self.run = run

    def save(self, payload: dict) -> None:
        self.run.save_torch("checkpoint.pt", {"kind": "search", **payload})

    def load(self) -> dict | None:
        if not self.run.has("checkpoint.pt"):
            return None
        saved = load_checkpoint(self.run.file("checkpoint.pt"))
        return saved if saved.get("kind") == "search" else None
