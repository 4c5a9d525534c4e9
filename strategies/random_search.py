"""Random search: the honest baseline for the weight-sharing strategies, on rl's budget terms.

Default (shared weights): the space's supernet trains at full resolution (its last stage) for the D steps rl's shared
training would take, sum(stage_iters) iterations of `shared_steps` D steps, with a uniformly drawn architecture before
every D step and the same step schedule and dynamic reset as rl (see `shared_training`). Then `random_candidates`
uniform architectures, drawn before any training, are scored by the IS proxy on the shared weights; they are the result,
best first.

Proxy budget: rl scores sum(stage_iters) * controller_steps + n_stages * mlas_m architectures (`rl_proxy_evaluations`,
e.g. 15 on the smoke profile at three stages). random scores exactly as many when `random_candidates` is 0 (the
default, equal terms); a positive `random_candidates` overrides it. `info` reports both numbers.

Variant (`random_scratch_steps` > 0): no supernet. Each candidate's standalone G and D (search widths) train from
scratch for `random_scratch_steps` D steps (same schedule, no EMA) before it is scored: random_candidates *
random_scratch_steps D steps in all.

Failed candidates: a candidate whose loss turns NaN/Inf, whose output is NaN/Inf or collapsed, or that runs out of
memory (see ganas_bench/candidates.py) is logged as `candidate_failed`, counted and left out of the ranking.
Randomness: ctx.rng for architectures, the global torch RNG for the GAN.
"""
from __future__ import annotations

from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype
from ganas_bench.registry import register_strategy
from ganas_bench.spaces.base import WeightSharing
from ganas_bench.faults import fault_point

from .base import SearchResult, Strategy
from .rl import rl_proxy_evaluations
from .shared_training import SharedTraining, critic_steps, rank


@register_strategy("random")
class RandomStrategy(Strategy):
    name = "random"
    description = "Random search: uniform architectures scored by the IS proxy on a uniformly trained supernet (or from scratch)"
    requires = WeightSharing

    def search(self) -> SearchResult:
        cfg, ctx, space = self.ctx.config, self.ctx, self.space
        self._saved = ctx.load_search_state()
        if self._saved is not None:  # the candidates were drawn before the checkpoint: take them from it
            genotypes = [Genotype(space.name, tuple(c)) for c in self._saved["genotypes"]]
        else:
            n_candidates = cfg.random_candidates or rl_proxy_evaluations(cfg, space.n_stages)
            genotypes = [space.sample(ctx.rng) for _ in range(n_candidates)]
        if cfg.random_scratch_steps:
            scored, info = self._score_from_scratch(genotypes)
        else:
            scored, info = self._score_on_shared_weights(genotypes)
        curve = [{"step": i, "score": score} for i, (_, score) in enumerate(scored)]
        ranked = rank(scored)
        for c in ranked:
            ctx.log("candidate", genotype=c.genotype.to_dict(), score=c.score)
        info.update(architectures_evaluated=len(genotypes),
                    rl_proxy_evaluations=rl_proxy_evaluations(cfg, space.n_stages))
        return SearchResult(ranked=ranked, curve=curve, info=info)

    def _score_on_shared_weights(self, genotypes: list[Genotype]) -> tuple[list[tuple[Genotype, float]], dict]:
        cfg, ctx, space = self.ctx.config, self.ctx, self.space
        shared = SharedTraining(space, ctx)
        shared.enter_stage(space.n_stages - 1)
        iterations = sum(cfg.stage_iters)
        trained, scored = 0, []
        if self._saved is not None:
            shared.load_state_dict(self._saved["shared"])
            trained = int(self._saved["trained"])
            scored = [(genotypes[i], None if score is None else float(score))
                      for i, score in enumerate(self._saved["scores"])]
            ctx.resume_rng()

        def checkpoint():
            ctx.save_search_state({"genotypes": [list(g.choices) for g in genotypes], "shared": shared.state_dict(),
                                   "trained": trained, "scores": [score for _, score in scored]})

        with ctx.progress(iterations, "random: shared training") as bar:
            bar.update(trained)
            while trained < iterations:
                stop = shared.train(cfg.shared_steps, lambda: space.sample(ctx.rng).choices)
                if stop is not None:
                    shared.reinitialise(stop)
                trained += 1
                bar.update(1)
                checkpoint()
        with ctx.progress(len(genotypes), "random: scoring") as bar:
            bar.update(len(scored))
            for genotype in genotypes[len(scored):]:
                with ctx.candidate(genotype.choices, "score") as attempt:
                    score = shared.score(genotype.choices)
                scored.append((genotype, None if attempt.failed else score))
                bar.update(1)
                if len(scored) % cfg.checkpoint_every == 0:
                    checkpoint()
        kept = [(g, score) for g, score in scored if score is not None]
        if not kept:
            raise RuntimeError(f"all {len(genotypes)} random candidates failed on the shared weights (see the "
                               "candidate_failed events)")
        return kept, {"mode": "shared", **shared.reset_info(), "d_steps": shared.d_steps}

    def _score_from_scratch(self, genotypes: list[Genotype]) -> tuple[list[tuple[Genotype, float]], dict]:
        cfg, ctx, space = self.ctx.config, self.ctx, self.space
        widths = ctx.widths(search=True)
        batches = ctx.real_batches(widths.image_size, cfg.d_batch)
        scored, done, d_steps = [], 0, 0
        if self._saved is not None:
            batches.load_state_dict(self._saved["batches"])
            done, d_steps = int(self._saved["done"]), int(self._saved["d_steps"])
            scored = [(Genotype(space.name, tuple(c)), float(score)) for c, score in self._saved["scored"]]
            ctx.resume_rng()
        with ctx.progress(len(genotypes), "random: from scratch") as bar:
            bar.update(done)
            for genotype in genotypes[done:]:
                trainer = None
                with ctx.candidate(genotype.choices, "scratch") as attempt:
                    trainer = ctx.make_trainer(space.build_generator(genotype, widths),
                                               space.build_discriminator(genotype, widths), ema=False)
                    for _ in critic_steps(trainer, batches, cfg.random_scratch_steps):
                        fault_point("search_step")
                    score = ctx.proxy_score(trainer.G)
                if not attempt.failed:  # a failure is counted by ctx (search info: failed_candidates)
                    scored.append((genotype, score))
                d_steps += trainer.d_steps if trainer is not None else 0
                done += 1
                bar.update(1)
                ctx.save_search_state({"genotypes": [list(g.choices) for g in genotypes], "done": done,
                                       "d_steps": d_steps, "batches": batches.state_dict(),
                                       "scored": [[list(g.choices), score] for g, score in scored]})
        if not scored:
            raise UserError(f"all {len(genotypes)} random candidates failed within random_scratch_steps="
                            f"{cfg.random_scratch_steps} (see the candidate_failed events); try a lower lr_g/lr_d "
                            "or fewer steps")
        return scored, {"mode": "scratch", "resets": 0, "d_steps": d_steps}
