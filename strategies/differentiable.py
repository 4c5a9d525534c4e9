"""`differentiable`: AdversarialNAS's adversarial differentiable search (Gao et al., CVPR 2020), on any space with the
`Differentiable` capability.

One search iteration, on a real batch of `search_batch` images split in halves (first half for weights, second for
architecture, as the released `train` loop splits it):
1. D architecture step: hinge D loss on the second half and G(fresh z) computed without gradient, minimised w.r.t. D's
   architecture parameters only (skipped when the space does not search D, e.g. `autogan`).
2. D weight step: `GANTrainer.d_step` on the first half (hinge loss, fresh z of the same size).
3. On iterations 0, n_critic, 2 n_critic, ... (the original's `global_steps % n_critic == 0`, so the first iteration
   has one): G architecture step (hinge G loss, -mean D(G(z)), on `g_batch` fresh z, minimised w.r.t. G's architecture
   parameters only), then `GANTrainer.g_step`.
The weight optimisers (the trainer's, Adam lr_g / lr_d, beta1 / beta2) hold only `weight_parameters_g/d()`; the
architecture optimisers Adam(arch_lr, (arch_beta1, arch_beta2), arch_weight_decay) only the alphas. Gradients are
first-order (the original's default; its "amending coefficient" second-order term is off in the released script).
Architecture gradients are taken with `torch.autograd.grad` w.r.t. the alphas alone, so an architecture step never
writes a weight's `.grad`; time spent in it goes to the run's step meter as GAN compute.

Length: `search_epochs` passes over the real data, i.e. round(search_epochs * batches_per_epoch) iterations (at least
one), with batches_per_epoch = len(real images) // search_batch (the incomplete last batch of an epoch is dropped). The
cifar10 profile's 24 epochs x 416 batches of 120 give 9,984 D steps and 1,997 G steps, the original's budget (its
25-epoch loop trains epochs 1..24 only).

Temperature: set at every epoch boundary of the real data (piecewise constant, as the original sets it once per epoch),
tau = tau_schedule(e + 1, ...) for the e-th epoch counted from 0: the original's epoch 0 only derives and validates, so
its first trained epoch runs at tau(1) = 4.28 and its last (24) at 0.117. A fractional budget (tiny, smoke) stays in the
first epoch's temperature for its fractional part. `gumbel` chooses Gumbel-softmax or the space's plain softmax.

Curve: about 50 rows, at step 0 (before any update), every max(1, iterations // 50) iterations and at the end:
{"step", "epoch" (real-data epochs done), "tau", "entropy" (mean over decisions), "entropies" ({decision: entropy in
nats}, the space's `edge_entropies()`), "d_loss", "g_loss" (last weight-step losses; None before any step)}, each
also logged as an "alphas" event.

Result: one candidate, `derive()` of the final alphas. Its score is the proxy IS (`proxy_samples` samples, the profile's
backbone) of the relaxed generator as the search leaves it: live weights (not an EMA, whose average over ~1,000 G steps
mixes weights trained under different alphas and temperatures; no EMA copy is kept), the final alphas, eval mode (BN
running statistics), and the space's deterministic relaxation at the final temperature (`set_relaxation(tau, False)`:
no Gumbel noise, so the score does not depend on a draw).

Failures: a NaN/Inf loss stops the search (there is one supernet and no reset rule in the paper; the run is marked
failed with the reason). When the final proxy score fails (NaN/Inf or collapsed output, out of memory), the derived
genotype is still the result, with score None and a `candidate_failed` event.

Differences from the released code, on purpose: G's architecture and weight steps use `g_batch` latents (the original
uses its G batch, which equals its search batch, 120); it never scores the derived genotype, only validates its EMA
supernet every 10 epochs. The original's validation loads the EMA of G's parameters (decay 0.999, updated after every G
step) into the live generator and never restores it; the EMA covers G's architecture parameters too (they are
parameters of G), so weights and alphas are both pulled back. Not done by default (a bug); `ema_reload` reproduces it:
after every `ema_reload_every`-th epoch (the released script's val_freq 10, counting the original's epochs, whose first
trained epoch is 1) but the last, whose reload comes after the final genotype is derived and so changes nothing.

Steps of the state machine (ganas_bench/contracts/strategy.py): one search iteration each (phase "search").
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional, Sequence

import torch
from torch import nn

from ganas_bench.contracts.space import Differentiable, RelaxedGAN
from ganas_bench.contracts.strategy import Candidate, SearchResult, Strategy
from ganas_bench.faults import fault_point
from ganas_bench.registry import register_strategy
from ganas_bench.training import DivergedError, GANTrainer, hinge_d_loss, hinge_g_loss
from ganas_bench.training.meter import GAN
from ganas_bench.training.trainer import make_adam

from .relaxation import mean_entropy, tau_schedule

CURVE_POINTS = 50


class AdversarialArchSearch:
    """A relaxed GAN, the trainer of its weights and the optimisers of its alphas: the four steps of one iteration."""

    def __init__(self, relaxed: RelaxedGAN, trainer: GANTrainer, cfg, options):
        self.relaxed = relaxed
        self.trainer = trainer
        self.cfg = cfg
        self.options = options
        self.alphas_g = list(relaxed.arch_parameters_g())
        self.alphas_d = list(relaxed.arch_parameters_d())
        if not self.alphas_g:
            raise ValueError(f"{type(relaxed).__name__}.arch_parameters_g() is empty: nothing to search in G")
        self.opt_g = self._arch_adam(self.alphas_g)
        self.opt_d = self._arch_adam(self.alphas_d) if self.alphas_d else None
        self.d_arch_steps = 0
        self.g_arch_steps = 0

    def _arch_adam(self, params: Sequence[nn.Parameter]) -> torch.optim.Adam:
        o = self.options
        return make_adam(params, o.arch_lr, o.arch_beta1, o.arch_beta2, o.arch_weight_decay)

    def state_dict(self) -> dict:
        return {"opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict() if self.opt_d else None,
                "d_arch_steps": self.d_arch_steps, "g_arch_steps": self.g_arch_steps}

    def load_state_dict(self, state: dict) -> None:
        self.opt_g.load_state_dict(state["opt_g"])
        if self.opt_d is not None:
            self.opt_d.load_state_dict(state["opt_d"])
        self.d_arch_steps, self.g_arch_steps = int(state["d_arch_steps"]), int(state["g_arch_steps"])

    def d_arch_step(self, real: torch.Tensor) -> float:
        """Hinge D loss on `real` and G(fresh z) (no gradient into G), one Adam step on D's alphas only."""
        G, D = self.relaxed.generator, self.relaxed.discriminator
        start = time.perf_counter()
        G.train()
        D.train()
        with torch.no_grad(), self.trainer.autocast():  # the trainer's precision (nothing at fp32)
            fake = G(self.trainer.z(real.shape[0] * self.trainer.ranks.world_size))
        with self.trainer.autocast():
            loss = hinge_d_loss(D(real).float().flatten(), D(fake).float().flatten())
        self._apply(loss, self.alphas_d, self.opt_d, "D architecture")
        self.d_arch_steps += 1
        self.trainer.meter.add(GAN, time.perf_counter() - start)
        return loss.item()

    def g_arch_step(self) -> float:
        """Hinge G loss on `g_batch` fresh z, one Adam step on G's alphas only."""
        G, D = self.relaxed.generator, self.relaxed.discriminator
        start = time.perf_counter()
        G.train()
        D.train()
        with self.trainer.autocast():
            loss = hinge_g_loss(D(G(self.trainer.z(self.cfg.g_batch))).float().flatten())
        self._apply(loss, self.alphas_g, self.opt_g, "G architecture")
        self.g_arch_steps += 1
        self.trainer.meter.add(GAN, time.perf_counter() - start)
        return loss.item()

    def iteration(self, step: int, real: torch.Tensor) -> tuple[float, Optional[float]]:
        """Steps 1-3 of the module docstring for global iteration `step` (0-based); returns (D loss, G loss or None)."""
        half = real.shape[0] // 2
        if self.opt_d is not None:
            self.d_arch_step(real[half:])
        d_loss = self.trainer.d_step(real[:half])
        g_loss = None
        if step % self.cfg.n_critic == 0:
            self.g_arch_step()
            g_loss = self.trainer.g_step()
        return d_loss, g_loss

    def _apply(self, loss: torch.Tensor, params: list[nn.Parameter], opt: torch.optim.Optimizer, who: str) -> None:
        """One Adam step of `params` on `loss`. Under torchrun the loss is checked as the mean over the ranks and the
        alphas' gradients are all-reduced (averaged): each rank's comes from its slice of the batch, the mean is the
        global batch's, so every rank takes the same step and the alphas stay identical."""
        ranks = self.trainer.ranks
        value = ranks.mean(loss).item()
        if not math.isfinite(value):
            raise DivergedError(f"{who} loss is {value}")
        grads = torch.autograd.grad(loss, params, allow_unused=True)  # an unused alpha keeps grad None: Adam skips it
        ranks.mean_grads_(grads)
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()


@dataclass(frozen=True)
class DifferentiableOptions:
    strategy: ClassVar[str] = "differentiable"
    PROFILE_DEFAULTS: ClassVar[dict] = {
        "smoke": {"search_epochs": 0.1, "search_batch": 32},
        # tiny (57 architecture steps): the original's Gumbel noise, added to probabilities used as logits, drowns the
        # alphas' gradient there - G's alphas did not move at arch_lr 0.1 (entropy fell 0.04%); plain softmax (the
        # original without --gumbel_softmax) at 0.1 fell 36% (adversarialnas) and 59% (autogan). README, search budget.
        "tiny": {"arch_lr": 0.1, "gumbel": False},
        "cifar10": {"search_epochs": 24.0, "search_batch": 120, "arch_lr": 3e-4},
        "stl10": {"search_epochs": 24.0, "search_batch": 120, "arch_lr": 3e-4},
    }

    search_epochs: float = field(default=2.0, metadata={"help": "epochs of differentiable search", "gt": 0.0,
                                                        "max": 1e6})
    search_batch: int = field(default=64, metadata={
        "help": "real batch of differentiable search (split in halves: weights, architecture)", "min": 2, "max": 8192})
    arch_lr: float = field(default=2e-2, metadata={
        "help": "architecture-parameter Adam learning rate (smoke 2e-2, tiny 0.1: raised from the paper's 3e-4 "
                "for their few dozen steps)",
        "gt": 0.0, "max": 1e3})
    arch_beta1: float = field(default=0.5, metadata={"help": "architecture Adam beta1", "min": 0.0, "lt": 1.0})
    arch_beta2: float = field(default=0.999, metadata={"help": "architecture Adam beta2", "min": 0.0, "lt": 1.0})
    arch_weight_decay: float = field(default=1e-4, metadata={"help": "architecture Adam weight decay", "min": 0.0})
    gumbel: bool = field(default=True, metadata={"help": "Gumbel-softmax relaxation (else plain softmax)"})
    tau_max: float = field(default=5.0, metadata={"help": "Gumbel temperature at epoch 0", "gt": 0.0, "max": 1e6})
    tau_min: float = field(default=0.1, metadata={
        "help": "Gumbel temperature reached after tau_anneal_epochs (the original's floor is a literal 0.1)",
        "gt": 0.0, "max": 1e6})
    tau_anneal_epochs: float = field(default=25.0, metadata={"help": "epochs for tau to decay to tau_min",
                                                             "gt": 0.0, "max": 1e6})
    ema_reload: bool = field(default=False, metadata={
        "help": "AdversarialNAS's validation bug: load the EMA (0.999) of G's weights and alphas into the live G every "
                "ema_reload_every epochs, never restored (off: the fix)"})
    ema_reload_every: int = field(default=10, metadata={"help": "epochs between EMA reloads (the released val_freq)",
                                                        "min": 1, "max": 10**6})


SEARCH_EMA_DECAY = 0.999  # the original's hard-coded average of G's parameters during search


@register_strategy("differentiable")
class DifferentiableStrategy(Strategy):
    name = "differentiable"
    description = (
        "AdversarialNAS (Gao et al., CVPR 2020): adversarial differentiable search of G's (and, where the space "
        "relaxes it, D's) architecture parameters with Gumbel-softmax annealing; derives the argmax genotype"
    )
    requires = Differentiable
    Options = DifferentiableOptions

    def start(self) -> None:
        h, opts = self.harness, self.options
        self.relaxed = self.space.build_relaxed(h.widths(search=True)).to(h.device)
        self.trainer = h.make_trainer(self.relaxed.generator, self.relaxed.discriminator,
                                      g_params=self.relaxed.weight_parameters_g(),
                                      d_params=self.relaxed.weight_parameters_d(), ema=False)
        self.search = AdversarialArchSearch(self.relaxed, self.trainer, h.config, opts)
        self.batches = h.real_batches(h.config.image_size, opts.search_batch)
        self.per_epoch = self.batches.batches_per_epoch
        self.total = max(1, round(opts.search_epochs * self.per_epoch))
        self.record_every = max(1, self.total // CURVE_POINTS)
        self.steps_done, self.epoch, self.tau = 0, 0, self._temperature(0)
        self.d_loss = self.g_loss = None
        self.gen_avg = ([p.detach().clone() for p in self.relaxed.generator.parameters()] if opts.ema_reload
                        else None)
        self.relaxed.set_relaxation(self.tau, opts.gumbel)
        self.curve: list[dict] = []  # its first row (step 0, before any update) is recorded by the first step

    def _temperature(self, epochs_done: int) -> float:
        o = self.options
        return tau_schedule(epochs_done + 1, o.tau_max, o.tau_min, o.tau_anneal_epochs)

    @property
    def done(self) -> bool:
        return self.steps_done >= self.total

    def progress(self) -> tuple[int, int]:
        return self.steps_done, self.total

    def step(self) -> None:
        step = self.steps_done
        if not self.curve:
            self.curve.append(self._record(0))
        if step // self.per_epoch != self.epoch:
            self._end_epoch(self.epoch)
            self.epoch = step // self.per_epoch
            self.tau = self._temperature(self.epoch)
            self.relaxed.set_relaxation(self.tau, self.options.gumbel)
        fault_point("search_step")
        self.d_loss, g_new = self.search.iteration(step, self.batches.next())
        if g_new is not None:
            self.g_loss = g_new
            if self.gen_avg is not None:
                with torch.no_grad():
                    for avg, p in zip(self.gen_avg, self.relaxed.generator.parameters()):
                        avg.mul_(SEARCH_EMA_DECAY).add_(p.detach(), alpha=1.0 - SEARCH_EMA_DECAY)
        self.steps_done += 1
        if self.steps_done % self.record_every == 0 or self.steps_done == self.total:
            self.curve.append(self._record(self.steps_done))

    def _end_epoch(self, epoch: int) -> None:
        """After 0-based epoch `epoch` (the original's epoch + 1): its validation reload, when asked for."""
        if self.gen_avg is not None and (epoch + 1) % self.options.ema_reload_every == 0:
            with torch.no_grad():
                for p, avg in zip(self.relaxed.generator.parameters(), self.gen_avg):
                    p.copy_(avg)
            self.harness.log("ema_reload", epoch=epoch + 1, step=self.steps_done)

    def result(self) -> SearchResult:
        cfg, tau = self.harness.config, self.tau
        genotype = self.space.validate(self.relaxed.derive())
        self.relaxed.set_relaxation(tau, False)
        score = self.harness.on_main(self.harness.evaluator.score, genotype.choices,
                                     self.relaxed.generator)  # None: broken output
        final_entropy = self.curve[-1]["entropy"]
        search = self.search
        info = {
            "iterations": self.total, "batches_per_epoch": self.per_epoch, "epochs": round(self.total / self.per_epoch, 4),
            "d_arch_steps": search.d_arch_steps, "d_steps": self.trainer.d_steps,
            "g_arch_steps": search.g_arch_steps, "g_steps": self.trainer.g_steps,
            "searched_discriminator": bool(search.alphas_d), "gumbel": self.options.gumbel, "final_tau": tau,
            "final_entropy": final_entropy, "ema_reload": self.options.ema_reload,
            "scored": (f"proxy IS ({cfg.proxy_samples} samples, {cfg.backbone}) of the relaxed generator: live "
                       f"weights, final alphas, eval mode, set_relaxation(tau={tau:.4g}, gumbel=False): the space's "
                       "softmax mixing without Gumbel noise"),
        }
        candidate = Candidate(genotype, score, {"description": self.space.describe(genotype),
                                                "final_entropy": final_entropy})
        return SearchResult(ranked=[candidate], curve=self.curve, info=info)

    def _record(self, step: int) -> dict[str, Any]:
        entropies = {name: float(h) for name, h in self.relaxed.edge_entropies().items()}
        row = {"step": step, "epoch": round(step / self.per_epoch, 4), "tau": self.tau,
               "entropy": mean_entropy(entropies), "entropies": entropies, "d_loss": self.d_loss, "g_loss": self.g_loss}
        self.harness.log("alphas", **row)
        return row

    def state_dict(self) -> dict:
        return {"step": self.steps_done, "epoch": self.epoch, "tau": self.tau, "d_loss": self.d_loss,
                "g_loss": self.g_loss, "curve": self.curve, "trainer": self.trainer.state_dict(),
                "arch": self.search.state_dict(), "batches": self.batches.state_dict(), "gen_avg": self.gen_avg}

    def load_state_dict(self, state: dict) -> None:
        self.trainer.load_state_dict(state["trainer"])  # the relaxed G and D, alphas included, and weight optimisers
        self.search.load_state_dict(state["arch"])
        self.batches.load_state_dict(state["batches"])
        self.steps_done, self.epoch, self.tau = int(state["step"]), int(state["epoch"]), float(state["tau"])
        self.d_loss, self.g_loss, self.curve = state["d_loss"], state["g_loss"], list(state["curve"])
        if self.gen_avg is not None:
            saved = state["gen_avg"]
            if saved is None or len(saved) != len(self.gen_avg):
                raise ValueError("the checkpoint holds no EMA of G for ema_reload")
            self.gen_avg = [t.to(self.harness.device) for t in saved]
        self.relaxed.set_relaxation(self.tau, self.options.gumbel)
