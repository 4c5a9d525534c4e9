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
writes a weight's `.grad`; time spent in it is added to the trainer's `step_seconds` (it is GAN compute).

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
supernet every 10 epochs (overwriting the live weights - a bug not reproduced here).
"""
from __future__ import annotations

import math
import time
from typing import Any, Optional, Sequence

import torch
from torch import nn

from ganas_bench.errors import UserError
from ganas_bench.faults import fault_point
from ganas_bench.registry import register_strategy
from ganas_bench.spaces.base import Differentiable, RelaxedGAN
from ganas_bench.training import DivergedError, GANTrainer, hinge_d_loss, hinge_g_loss
from ganas_bench.training.trainer import make_adam

from .base import Candidate, SearchResult, Strategy
from .relaxation import mean_entropy, tau_schedule

CURVE_POINTS = 50


class AdversarialArchSearch:
    """A relaxed GAN, the trainer of its weights and the optimisers of its alphas: the four steps of one iteration."""

    def __init__(self, relaxed: RelaxedGAN, trainer: GANTrainer, cfg):
        self.relaxed = relaxed
        self.trainer = trainer
        self.cfg = cfg
        self.alphas_g = list(relaxed.arch_parameters_g())
        self.alphas_d = list(relaxed.arch_parameters_d())
        if not self.alphas_g:
            raise ValueError(f"{type(relaxed).__name__}.arch_parameters_g() is empty: nothing to search in G")
        self.opt_g = self._arch_adam(self.alphas_g)
        self.opt_d = self._arch_adam(self.alphas_d) if self.alphas_d else None
        self.d_arch_steps = 0
        self.g_arch_steps = 0

    def _arch_adam(self, params: Sequence[nn.Parameter]) -> torch.optim.Adam:
        cfg = self.cfg
        return make_adam(params, cfg.arch_lr, cfg.arch_beta1, cfg.arch_beta2, cfg.arch_weight_decay)

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
        with torch.no_grad():
            fake = G(self.trainer.z(real.shape[0]))
        loss = hinge_d_loss(D(real).flatten(), D(fake).flatten())
        self._apply(loss, self.alphas_d, self.opt_d, "D architecture")
        self.d_arch_steps += 1
        self.trainer.step_seconds += time.perf_counter() - start
        return loss.item()

    def g_arch_step(self) -> float:
        """Hinge G loss on `g_batch` fresh z, one Adam step on G's alphas only."""
        G, D = self.relaxed.generator, self.relaxed.discriminator
        start = time.perf_counter()
        G.train()
        D.train()
        loss = hinge_g_loss(D(G(self.trainer.z(self.cfg.g_batch))).flatten())
        self._apply(loss, self.alphas_g, self.opt_g, "G architecture")
        self.g_arch_steps += 1
        self.trainer.step_seconds += time.perf_counter() - start
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

    @staticmethod
    def _apply(loss: torch.Tensor, params: list[nn.Parameter], opt: torch.optim.Optimizer, who: str) -> None:
        if not math.isfinite(loss.item()):
            raise DivergedError(f"{who} loss is {loss.item()}")
        grads = torch.autograd.grad(loss, params, allow_unused=True)  # an unused alpha keeps grad None: Adam skips it
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()


@register_strategy("differentiable")
class DifferentiableStrategy(Strategy):
    name = "differentiable"
    description = (
        "AdversarialNAS (Gao et al., CVPR 2020): adversarial differentiable search of G's (and, where the space "
        "relaxes it, D's) architecture parameters with Gumbel-softmax annealing; derives the argmax genotype"
    )
    requires = Differentiable

    def __init__(self, space, ctx):
        super().__init__(space, ctx)
        if ctx.config.search_batch < 2:
            raise UserError(f"invalid search_batch={ctx.config.search_batch}; accepted: an integer >= 2 "
                            "(the differentiable search splits every real batch in two halves)")

    def search(self) -> SearchResult:
        ctx, cfg = self.ctx, self.ctx.config
        relaxed = self.space.build_relaxed(ctx.widths(search=True)).to(ctx.device)
        trainer = ctx.make_trainer(relaxed.generator, relaxed.discriminator, g_params=relaxed.weight_parameters_g(),
                                   d_params=relaxed.weight_parameters_d(), ema=False)
        search = AdversarialArchSearch(relaxed, trainer, cfg)
        batches = ctx.real_batches(cfg.image_size, cfg.search_batch)
        per_epoch = batches.batches_per_epoch
        total = max(1, round(cfg.search_epochs * per_epoch))
        record_every = max(1, total // CURVE_POINTS)

        def temperature(epochs_done: int) -> float:
            return tau_schedule(epochs_done + 1, cfg.tau_max, cfg.tau_min, cfg.tau_anneal_epochs)

        epoch, tau, first = 0, temperature(0), 0
        d_loss = g_loss = None
        saved = ctx.load_search_state()
        if saved is not None:
            trainer.load_state_dict(saved["trainer"])  # the relaxed G and D, alphas included, and weight optimisers
            search.load_state_dict(saved["arch"])
            batches.load_state_dict(saved["batches"])
            first, epoch, tau = int(saved["step"]), int(saved["epoch"]), float(saved["tau"])
            d_loss, g_loss, curve = saved["d_loss"], saved["g_loss"], list(saved["curve"])
            relaxed.set_relaxation(tau, cfg.gumbel)
            ctx.resume_rng()
        else:
            relaxed.set_relaxation(tau, cfg.gumbel)
            curve = [self._record(relaxed, 0, per_epoch, tau, None, None)]
        with ctx.progress(total, "differentiable search") as bar:
            bar.update(first)
            for step in range(first, total):
                if step // per_epoch != epoch:
                    epoch = step // per_epoch
                    tau = temperature(epoch)
                    relaxed.set_relaxation(tau, cfg.gumbel)
                fault_point("search_step")
                d_loss, g_new = search.iteration(step, batches.next())
                g_loss = g_new if g_new is not None else g_loss
                bar.update(1)
                if (step + 1) % record_every == 0 or step + 1 == total:
                    curve.append(self._record(relaxed, step + 1, per_epoch, tau, d_loss, g_loss))
                if (step + 1) % cfg.checkpoint_every == 0 and step + 1 < total:
                    ctx.save_search_state({
                        "step": step + 1, "epoch": epoch, "tau": tau, "d_loss": d_loss, "g_loss": g_loss,
                        "curve": curve, "trainer": trainer.state_dict(), "arch": search.state_dict(),
                        "batches": batches.state_dict(),
                    })

        genotype = self.space.validate(relaxed.derive())
        relaxed.set_relaxation(tau, False)
        score = None  # stays None when the relaxed generator's output is broken (logged as candidate_failed)
        with ctx.candidate(genotype.choices, "score"):
            score = ctx.proxy_score(relaxed.generator)
        final_entropy = curve[-1]["entropy"]
        info = {
            "iterations": total, "batches_per_epoch": per_epoch, "epochs": round(total / per_epoch, 4),
            "d_arch_steps": search.d_arch_steps, "d_steps": trainer.d_steps,
            "g_arch_steps": search.g_arch_steps, "g_steps": trainer.g_steps,
            "searched_discriminator": bool(search.alphas_d), "gumbel": cfg.gumbel, "final_tau": tau,
            "final_entropy": final_entropy,
            "scored": (f"proxy IS ({cfg.proxy_samples} samples, {cfg.backbone}) of the relaxed generator: live "
                       f"weights, final alphas, eval mode, set_relaxation(tau={tau:.4g}, gumbel=False): the space's "
                       "softmax mixing without Gumbel noise"),
        }
        candidate = Candidate(genotype, score, {"description": self.space.describe(genotype),
                                                "final_entropy": final_entropy})
        return SearchResult(ranked=[candidate], curve=curve, info=info)

    def _record(self, relaxed: RelaxedGAN, step: int, per_epoch: int, tau: float, d_loss, g_loss) -> dict[str, Any]:
        entropies = {name: float(h) for name, h in relaxed.edge_entropies().items()}
        row = {"step": step, "epoch": round(step / per_epoch, 4), "tau": tau, "entropy": mean_entropy(entropies),
               "entropies": entropies, "d_loss": d_loss, "g_loss": g_loss}
        self.ctx.log("alphas", **row)
        return row
