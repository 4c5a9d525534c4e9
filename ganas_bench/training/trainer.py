"""`GANTrainer`: one D step and one G step, shared by final training and every search strategy.

Strategies drive the loop themselves (RL sets a new architecture before every D step; the differentiable strategy adds
architecture steps between them) but call these steps, so the loss, optimiser and EMA code exists once.

Under torchrun (`ranks`, ganas_bench/distributed.py) the steps run G and D through DistributedDataParallel wrappers
(`train_G`, `train_D`) while `G`, `D`, the EMA and the state dicts stay the plain modules; `z(n)` draws the global
batch's n latents and returns this rank's slice; a loss is averaged over the ranks before it is checked or returned.
Outside torchrun all three are the identity.

Speed opt-ins (cfg.precision, cfg.channels_last, cfg.compile; ganas_bench/training/precision.py, compiled.py): the
forward passes and losses run under the precision's autocast (`autocast()`, which strategies' own steps use too),
fp16 steps through a gradient scaler, G and D and the real batches take the channels-last layout, and the steps call
compiled G and D. At the defaults none of it is there: the step is plain float32 eager, as the originals'.
"""
from __future__ import annotations

import math
import time

import torch
from torch import nn

from ..distributed import SINGLE
from .compiled import CompiledOrEager
from .ema import EMA
from .losses import hinge_d_loss, hinge_g_loss
from .meter import GAN, StepMeter
from .precision import autocast, grad_scaler


class DivergedError(RuntimeError):
    """A loss became NaN or Inf; the caller decides whether that fails a candidate or resets a supernet."""


def make_adam(params, lr: float, beta1: float, beta2: float, weight_decay: float = 0.0) -> torch.optim.Adam:
    return torch.optim.Adam([p for p in params if p.requires_grad], lr=float(lr), betas=(float(beta1), float(beta2)),
                            weight_decay=float(weight_decay))


class ScoresOfOneOrBoth(nn.Module):
    """D on one batch (the G step), or on the real and then the fake batch in one call (the D step, in the originals'
    order). Holds D itself, so parameters, buffers and state dicts stay D's.

    Why one call for the D step's two passes: spectral norm's power iteration updates its `u` vector in place on every
    training pass, and eager keeps a clone of it for the backward but a compiled pass keeps the buffer itself, so under
    `--compile` a second D pass made apart from the first failed the first one's backward ("modified by an inplace
    operation"); in one graph the compiler orders the two updates and what the backward needs. Under torchrun one call
    is also one DistributedDataParallel forward per backward: DDP re-broadcasts rank 0's buffers (that `u` too) in place
    before every forward, which broke a compiled D step across two forwards the same way.
    """

    def __init__(self, discriminator: nn.Module):
        super().__init__()
        self.discriminator = discriminator

    def forward(self, first: torch.Tensor, second: torch.Tensor | None = None):
        if second is None:
            return self.discriminator(first)
        return self.discriminator(first), self.discriminator(second)


class GANTrainer:
    def __init__(self, generator: nn.Module, discriminator: nn.Module, cfg, device: torch.device, *,
                 g_params=None, d_params=None, ema: bool = True, meter: StepMeter | None = None, ranks=None,
                 report=None):
        self.G = generator.to(device)
        self.D = discriminator.to(device)
        self.memory_format = torch.channels_last if cfg.channels_last else None
        if self.memory_format is not None:
            self.G.to(memory_format=self.memory_format)
            self.D.to(memory_format=self.memory_format)
        self.ranks = ranks if ranks is not None else SINGLE
        self.train_G = self.ranks.wrap(self.G)
        self.train_D = self.ranks.wrap(ScoresOfOneOrBoth(self.D), sparse=True)  # sparse: D is frozen in G steps
        if cfg.compile:  # `report(message)`: where a fallback to eager is recorded (the run's events)
            self.train_G = CompiledOrEager(self.train_G, "G", report)
            self.train_D = CompiledOrEager(self.train_D, "D", report)
        self.cfg = cfg
        self.device = device
        self.scalers = {who: grad_scaler(cfg.precision, device) for who in ("G", "D")}  # fp16 on CUDA only
        self._g_params = list(g_params) if g_params is not None else list(self.G.parameters())
        self._d_params = list(d_params) if d_params is not None else list(self.D.parameters())
        self.opt_g = make_adam(self._g_params, cfg.lr_g, cfg.beta1, cfg.beta2)
        self.opt_d = make_adam(self._d_params, cfg.lr_d, cfg.beta1, cfg.beta2)
        self.ema = EMA(self.G, cfg.ema_decay) if ema and cfg.ema_decay > 0 else None
        self.d_steps = 0
        self.g_steps = 0
        self.meter = meter if meter is not None else StepMeter()  # wall time inside GAN steps is reported there
        self.skipped_steps = {"D": 0, "G": 0}  # steps whose loss had no gradient (see _apply)

    def z(self, n: int) -> torch.Tensor:
        """This rank's share of `n` latents of the global batch (all of them outside torchrun)."""
        return self.ranks.shard(torch.randn(n, self.cfg.latent_dim, device=self.device))

    def autocast(self):
        """The forward passes' precision context (nothing at fp32), for these steps and a strategy's own."""
        return autocast(self.cfg.precision, self.device)

    def d_step(self, real: torch.Tensor) -> float:
        start = time.perf_counter()
        self.G.train()
        self.D.train()
        if self.memory_format is not None:
            real = real.contiguous(memory_format=self.memory_format)
        with torch.no_grad(), self.autocast():
            fake = self.train_G(self.z(real.shape[0] * self.ranks.world_size))
        with self.autocast():  # scores in float32 for the loss (`.float()` is a no-op at fp32)
            real_scores, fake_scores = self.train_D(real, fake)
            loss = hinge_d_loss(real_scores.float().flatten(), fake_scores.float().flatten())
        value = self._apply(loss, self.opt_d, "D")
        self.d_steps += 1
        self.meter.add(GAN, time.perf_counter() - start)
        return value

    def g_step(self) -> float:
        start = time.perf_counter()
        self.G.train()
        self.D.train()
        for p in self._d_params:
            p.requires_grad_(False)
        try:
            with self.autocast():
                loss = hinge_g_loss(self.train_D(self.train_G(self.z(self.cfg.g_batch))).float().flatten())
            value = self._apply(loss, self.opt_g, "G")
        finally:
            for p in self._d_params:
                p.requires_grad_(True)
        self.g_steps += 1
        if self.ema is not None:
            if self.g_steps <= self.cfg.ema_start:
                self.ema.copy_from(self.G)
            else:
                self.ema.update(self.G)
        self.meter.add(GAN, time.perf_counter() - start)
        return value

    def _apply(self, loss: torch.Tensor, opt: torch.optim.Optimizer, who: str) -> float:
        """Check the loss (averaged over the ranks under torchrun), step, and return its value."""
        value = self.ranks.mean(loss).item()
        if not math.isfinite(value):
            raise DivergedError(f"{who} loss is {value} after {self.d_steps} D steps / {self.g_steps} G steps")
        if not loss.requires_grad:
            # The loss does not depend on the weights being trained: e.g. a sampled AdversarialNAS D whose nodes all
            # read `none` edges outputs a constant, so G gets no gradient. Nothing to learn from; count it, move on.
            self.skipped_steps[who] += 1
            return value
        opt.zero_grad(set_to_none=True)
        scaler = self.scalers[who]
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        return value

    def iteration(self, batches) -> tuple[float, float]:
        """n_critic D steps on consecutive real batches, then one G step (and an EMA update)."""
        d_loss = 0.0
        for _ in range(self.cfg.n_critic):
            d_loss = self.d_step(next(batches))
        return d_loss, self.g_step()

    @property
    def eval_generator(self) -> nn.Module:
        """What evaluation should sample from: the EMA weights when EMA is on."""
        return self.ema.model if self.ema is not None else self.G

    def reset_optimizers(self) -> None:
        self.opt_g = make_adam(self._g_params, self.cfg.lr_g, self.cfg.beta1, self.cfg.beta2)
        self.opt_d = make_adam(self._d_params, self.cfg.lr_d, self.cfg.beta1, self.cfg.beta2)

    def state_dict(self) -> dict:
        return {
            "G": self.G.state_dict(), "D": self.D.state_dict(), "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(), "ema": self.ema.state_dict() if self.ema is not None else None,
            "d_steps": self.d_steps, "g_steps": self.g_steps,
            **({"scalers": {who: scaler.state_dict() for who, scaler in self.scalers.items()}}
               if self.scalers["G"] is not None else {}),
        }

    def load_state_dict(self, state: dict) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.d_steps = int(state["d_steps"])
        self.g_steps = int(state["g_steps"])
        for who, scaler_state in (state.get("scalers") or {}).items():
            if self.scalers.get(who) is not None:
                self.scalers[who].load_state_dict(scaler_state)
