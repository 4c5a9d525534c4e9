"""`FinalTraining`: one genotype trained from scratch with the profile's recipe, then IS / FID / KID of its EMA generator.

The same unit serves `train` (a given architecture) and `run` (the searched one). Checkpoints every `checkpoint_every`
G iterations hold everything needed to continue (weights, optimisers, EMA, RNG states, data-stream position,
best-so-far, cost clock); given a run directory holding one, training continues from it and reaches the result an
uninterrupted run reaches, bit for bit on CPU. The untrained generator is evaluated first (`untrained` in the result),
so every run shows how far training moved it. Final training reseeds at its start (seed + TRAIN_SEED_OFFSET), so it
never depends on how a search before it used the RNG.

Under torchrun (ganas_bench/distributed.py) every rank trains its slice of each global batch; evaluations run on rank
0 and their scores reach every rank (`harness.on_main`), so all ranks keep the same state; only rank 0 writes (the run's
files are written through the run directory, which is read-only on other ranks; the samples image is drawn on rank 0).
"""
from __future__ import annotations

import io

import torch

from .checkpoint import capture_rng, check_optimizer_states, check_train_checkpoint, load_checkpoint, restore_rng
from .cost import count_params, training_step_flops
from .errors import UserError, first_line, preview
from .evaluation import evaluate
from .faults import fault_point
from .genotype import Genotype
from .seeding import untouched_rng

TRAIN_SEED_OFFSET = 1_000_003


def recipe_config(cfg, space, search: bool):
    """`cfg` with the space's own paper numbers applied when `--recipe paper` asks for them (the settings this run's
    strategy does not have are left out), and the overrides applied."""
    if cfg.recipe != "paper":
        return cfg, {}
    recipe = space.paper_search_recipe(cfg.profile) if search else space.paper_recipe(cfg.profile)
    overrides = {k: v for k, v in recipe.items() if cfg.settable(k)}
    return (cfg.replace(**overrides) if overrides else cfg), overrides


class FinalTraining:
    def __init__(self, harness, run, space, genotype: Genotype, arch_name: str | None):
        self.harness, self.run, self.space, self.genotype, self.arch_name = harness, run, space, genotype, arch_name

    def __call__(self, eval_untrained: bool = True) -> dict:
        harness, run, cfg = self.harness, self.run, self.harness.config
        harness.reseed(cfg.seed + TRAIN_SEED_OFFSET)
        widths = harness.widths(search=False)
        generator = self.space.build_generator(self.genotype, widths)
        discriminator = self.space.build_discriminator(self.genotype, widths)
        self.trainer = trainer = harness.make_trainer(generator, discriminator)
        self.batches = harness.real_batches(cfg.image_size, cfg.d_batch)
        self._write_arch(generator, discriminator)
        flops = training_step_flops(generator, discriminator, cfg.latent_dim,
                                    harness.real.to_float()[: cfg.d_batch].to(harness.device), cfg.g_batch, cfg.n_critic)
        self.untrained, self.best, self.final, start = None, None, None, 0
        saved = self._saved_checkpoint()
        if saved is not None:
            start = self._restore(saved)
        elif eval_untrained:
            with harness.clock.phase("eval"):
                self.untrained = self._evaluate()
            run.log("eval_untrained", **_loggable(self.untrained))
        self._train(start)
        harness.clock.note("train", steps=cfg.train_iters, flops_per_step=flops)
        if self.final is None:
            with harness.clock.phase("eval"):
                self.final = {"scores": self._evaluate(), "best_iter": cfg.train_iters}
            if self.best is not None and self.best["scores"]["fid"] < self.final["scores"]["fid"]:
                self.final = {"scores": self.best["scores"], "best_iter": self.best["iteration"]}
                trainer.eval_generator.load_state_dict(self.best["generator_ema"])
            self.best = None  # the kept generator is now the EMA one
            self._checkpoint(cfg.train_iters)  # with the result: a resume from here re-evaluates nothing
        self._write_samples()
        metrics = {**self.final["scores"], "best_iter": self.final["best_iter"]}
        if self.untrained is not None:
            metrics["untrained"] = self.untrained
        return metrics

    # ------------------------------------------------------------------ the loop
    def _train(self, start: int) -> None:
        harness, run, cfg, trainer = self.harness, self.run, self.harness.config, self.trainer
        log_every = max(1, cfg.train_iters // 20)
        with harness.progress(cfg.train_iters, "train") as bar:
            bar.update(start)
            for it in range(start + 1, cfg.train_iters + 1):
                fault_point("train_iteration")
                with harness.clock.phase("train"):
                    d_loss, g_loss = trainer.iteration(self.batches)
                bar.update(1)
                if it % log_every == 0 or it == cfg.train_iters:
                    run.log("train", iter=it, d_loss=d_loss, g_loss=g_loss)  # losses of the global batch
                if cfg.eval_every and it % cfg.eval_every == 0 and it < cfg.train_iters:
                    self._periodic_eval(it)
                if it % cfg.checkpoint_every == 0 and it < cfg.train_iters:
                    self._checkpoint(it)

    def _periodic_eval(self, it: int) -> None:
        with self.harness.clock.phase("eval"):
            scores = self._evaluate()
        self.run.log("eval", iter=it, **_loggable(scores))
        if self.best is None or scores["fid"] < self.best["scores"]["fid"]:
            self.best = {"scores": scores, "iteration": it,
                         "generator_ema": {k: v.clone() for k, v in self.trainer.eval_generator.state_dict().items()}}

    def _evaluate(self) -> dict:
        """IS / FID / KID of the generator evaluation samples from, computed once (rank 0 under torchrun)."""
        generator = self.trainer.eval_generator
        return self.harness.on_main(evaluate, self.harness, generator)

    # ------------------------------------------------------------------ files
    def _write_arch(self, generator, discriminator) -> None:
        run, genotype = self.run, self.genotype
        if not run.has("arch.json") or run.read_json("arch.json").get("hash") != genotype.stable_hash():
            run.write_json("arch.json", {
                "genotype": genotype.to_dict(), "hash": genotype.stable_hash(),
                "description": self.space.describe(genotype), "arch_name": self.arch_name,
                "params_g": count_params(generator), "params_d": count_params(discriminator),
            })

    def _saved_checkpoint(self) -> dict | None:
        run = self.run
        if not run.has("checkpoint.pt"):
            return None
        saved = load_checkpoint(run.file("checkpoint.pt"))
        if saved.get("kind") != "train" or saved.get("genotype") != self.genotype.to_json():
            return None
        return check_train_checkpoint(saved, run.file("checkpoint.pt"))

    def _restore(self, saved: dict) -> int:
        load_training_state(self.harness, self.trainer, self.batches, saved, str(self.run.file("checkpoint.pt")))
        self.untrained, self.best = saved.get("untrained"), saved.get("best")
        self.final = saved.get("final")  # present when the run was stopped after its final evaluation
        self.run.log("resume", iteration=saved["iteration"])
        return saved["iteration"]

    def _checkpoint(self, iteration: int) -> None:
        self.harness.ranks.check_consistent(self.trainer.state_dict(), "trainer state")
        self.run.save_torch("checkpoint.pt", {
            "kind": "train", "genotype": self.genotype.to_json(), "iteration": iteration,
            "trainer": self.trainer.state_dict(), "batches": self.batches.state_dict(),
            "clock": self.harness.clock.state_dict(), "untrained": self.untrained, "best": self.best,
            "rng": capture_rng(self.harness.rng), "generator_ema": self.trainer.eval_generator.state_dict(),
            "final": self.final,
        })

    def _write_samples(self, n: int = 64) -> None:
        from torchvision.utils import save_image

        from .runs.rundir import atomic_write_bytes

        if not self.harness.ranks.is_main:
            return

        generator, device = self.trainer.eval_generator, self.harness.device
        z = torch.randn(n, self.harness.config.latent_dim, generator=torch.Generator().manual_seed(1234)).to(device)
        was_training = generator.training
        generator.eval()
        with torch.inference_mode():
            images = generator(z).clamp(-1, 1).add(1).div(2).cpu()
        generator.train(was_training)
        buf = io.BytesIO()
        save_image(images, buf, format="png", nrow=8, padding=1)
        atomic_write_bytes(self.run.file("samples.png"), buf.getvalue())


def load_training_state(harness, trainer, batches, saved: dict, where: str) -> None:
    """Load a training checkpoint (already shape-checked by `check_train_checkpoint`) into `trainer`, `batches`,
    `harness`'s clock and every RNG stream; anything that does not fit (tensor shapes, optimiser states, the data
    stream, the clock) is one UserError."""
    try:
        trainer.load_state_dict(saved["trainer"])
        check_optimizer_states((trainer.opt_g, trainer.opt_d))
        batches.load_state_dict(saved["batches"])
        harness.clock.load_state_dict(saved["clock"])
        restore_rng(saved["rng"], harness.rng)
        for ema in (saved["generator_ema"], (saved.get("best") or {}).get("generator_ema")):
            if ema is not None:  # what eval and the kept best generator load later
                _fits(trainer.eval_generator, ema)
    except UserError as exc:
        raise UserError(f"checkpoint {preview(where, 120)} does not fit this run: {exc}") from None
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise UserError(f"checkpoint {preview(where, 120)} does not fit this run ({type(exc).__name__}: "
                        f"{first_line(exc, 120)}); it is damaged or written for another setup") from None


def _fits(module, state: dict) -> None:
    """Raise (RuntimeError, as load_state_dict does) unless `state` has exactly `module`'s keys and shapes."""
    own = module.state_dict()
    if set(own) != set(state):
        raise RuntimeError(f"state dict keys differ: {preview(sorted(set(own) ^ set(state)), 80)}")
    for key, value in own.items():
        if not torch.is_tensor(state[key]) or state[key].shape != value.shape:
            raise RuntimeError(f"size mismatch for {key}: {tuple(getattr(state[key], 'shape', ()))} in the "
                               f"checkpoint, {tuple(value.shape)} in the model")


def check_training_resume(harness, space, genotype: Genotype, saved: dict, where: str) -> None:
    """Load a training checkpoint into freshly built networks on a throwaway harness (own clock, meter and RNG; the
    global random streams are put back afterwards), exactly as a resume will: one UserError if any of it does not fit,
    and nothing of the run is touched. `harness` carries the final-training config (recipe applied)."""
    cfg = harness.config
    probe = harness.probe()
    with untouched_rng(harness.device):
        widths = probe.widths(search=False)
        trainer = probe.make_trainer(space.build_generator(genotype, widths), space.build_discriminator(genotype, widths))
        batches = probe.real_batches(cfg.image_size, cfg.d_batch)
        load_training_state(probe, trainer, batches, saved, where)


def _loggable(scores: dict) -> dict:
    """Scores for an events.jsonl line: the numbers, not the per-seed breakdown."""
    return {k: v for k, v in scores.items() if k != "per_eval_seed"}
