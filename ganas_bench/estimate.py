"""Compute estimates before renting a GPU: the FLOPs of a search and of a final training at a profile's numbers,
counted on the real modules by torch's FLOP counter on the CPU (`flop_counts`; no data needed), and the device-hours
they imply at a rate (`rates`): one you state with its source, or one a `make bench` run achieved.

Hours are FLOPs over a sustained rate: an estimate, and every output says so. Measured device-hours of real runs are in
each run's metrics.json. What is counted: convolutions and matrix multiplies of every GAN step, architecture step,
proxy evaluation and evaluation (generator sampling and the backbone); not counted: element-wise work, the rl
controller (an LSTM of 100 units: negligible), the candidates' output check (64 samples), the real images' features
(extracted once and cached).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .config import Config
from .contracts.space import Widths
from .cost import count_params, training_step_flops
from .data.loading import DATASET_SIZE
from .errors import UserError
from .flop_counts import (COUNT_BATCH, CPU, StepFlops, backbone_flops_per_image, counted, counting_config,
                          gan_step_flops, mean_step_flops, sample_flops)

SAMPLED_ARCHITECTURES = 8  # weight-sharing steps: FLOPs averaged over this many uniformly drawn architectures (seed 0)
ESTIMATED_STRATEGIES = ("rl", "random", "differentiable")
NOTE = ("estimate: counted FLOPs (convolutions and matrix multiplies) / a sustained rate; element-wise work, data "
        "loading and the rl controller are not counted")


def check_tflops(sustained_tflops: float) -> float:
    if isinstance(sustained_tflops, bool) or not isinstance(sustained_tflops, (int, float)) \
            or not (math.isfinite(sustained_tflops) and 0 < sustained_tflops <= 1e9):
        raise UserError(f"invalid --sustained-tflops {sustained_tflops!r}; accepted: a number > 0 and <= 1e9")
    return float(sustained_tflops)


def hours(flops: float, sustained_tflops: float) -> float:
    return flops / (sustained_tflops * 1e12) / 3600.0


def evaluation_flops(cfg: Config, sample_flops: float, backbone_flops: float) -> tuple[int, float]:
    """(evaluations, FLOPs) of a final training's evaluations: the untrained generator, every `eval_every`-th
    iteration before the last, and the end, each over `eval_seeds` z seeds of `n_fake` samples."""
    periodic = (cfg.train_iters - 1) // cfg.eval_every if cfg.eval_every else 0
    evaluations = 2 + periodic
    return evaluations, evaluations * cfg.eval_seeds * cfg.n_fake * (sample_flops + backbone_flops)


def estimate_training(cfg: Config, space, genotype, sustained_tflops: float) -> dict:
    """FLOPs and hours of retraining `genotype` with `cfg`'s final-training numbers (the paper recipe when asked)."""
    sustained_tflops = check_tflops(sustained_tflops)
    if cfg.recipe == "paper":
        cfg = cfg.replace(**space.paper_recipe(cfg.profile))
    widths = Widths.of(cfg, search=False)
    generator = space.build_generator(genotype, widths)
    discriminator = space.build_discriminator(genotype, widths)
    real = torch.zeros(cfg.d_batch, cfg.channels, cfg.image_size, cfg.image_size)
    flops = training_step_flops(generator, discriminator, cfg.latent_dim, real, cfg.g_batch, cfg.n_critic)
    total = flops * cfg.train_iters
    evaluations, eval_total = evaluation_flops(cfg, sample_flops(generator, cfg.latent_dim),
                                               backbone_flops_per_image(cfg.backbone))
    return {
        "profile": cfg.profile, "recipe": cfg.recipe, "params_g": count_params(generator),
        "params_d": count_params(discriminator), "flops_per_iteration": flops, "iterations": cfg.train_iters,
        "total_flops": total, "sustained_tflops": sustained_tflops,
        "estimated_gpu_hours": hours(total, sustained_tflops),
        "evaluations": evaluations, "evaluation_flops": eval_total,
        "estimated_hours_with_evaluation": hours(total + eval_total, sustained_tflops),
        "note": NOTE,
    }


def _proxy_flops(cfg: Config, steps: StepFlops, backbone: float) -> float:
    """One IS-proxy evaluation: `proxy_samples` generated images through the backbone."""
    return cfg.proxy_samples * (steps.sample + backbone)


def _critic_steps(cfg: Config, d_steps: int, steps: StepFlops, d_batch: int) -> dict:
    """AutoGAN's schedule: a G step after D steps 1, 1 + n_critic, ... of each run of `d_steps`."""
    g_steps = -(-d_steps // cfg.n_critic)
    return {"d_steps": d_steps, "g_steps": g_steps,
            "flops": d_steps * d_batch * steps.d_step + g_steps * cfg.g_batch * steps.g_step}


def _sampled_steps(space, build, cfg: Config, resolution: int) -> StepFlops:
    """Mean step FLOPs over SAMPLED_ARCHITECTURES architectures drawn uniformly (NumPy seed 0); `build(choices)`
    returns the (G, D) pair to count for one."""
    rng = np.random.default_rng(0)
    flops = []
    for _ in range(SAMPLED_ARCHITECTURES):
        generator, discriminator = build(space.sample(rng).choices)
        flops.append(gan_step_flops(generator, discriminator, cfg, resolution, cfg.channels))
    return mean_step_flops(flops)


def _weight_sharing(cfg: Config, space, strategy: str, backbone: float) -> dict:
    from .search.budget import SearchBudget

    budget = SearchBudget.for_space(cfg, space)
    widths = Widths.of(cfg, search=True)
    options = cfg.options
    n_candidates = getattr(options, "random_candidates", 0) or budget.proxy_evaluations  # random's own rule
    if strategy == "random" and getattr(options, "random_scratch_steps", 0) > 0:
        steps = _sampled_steps(space, lambda c: (space.build_generator(space.genotype(c), widths),
                                                 space.build_discriminator(space.genotype(c), widths)),
                               cfg, cfg.image_size)
        train = _critic_steps(cfg, n_candidates * options.random_scratch_steps, steps, cfg.d_batch)
        return {"schedule": f"{n_candidates} candidates, each trained from scratch {options.random_scratch_steps} "
                            "D steps at search widths, then scored", "d_steps": train["d_steps"],
                "g_steps": train["g_steps"], "gan_flops": train["flops"], "proxy_evaluations": n_candidates,
                "proxy_flops": n_candidates * _proxy_flops(cfg, steps, backbone)}
    shared = space.build_shared(widths)
    stages = (list(range(space.n_stages)) if strategy == "rl"
              else [space.n_stages - 1])  # random: the budget's steps at the last stage
    iterations = list(budget.stage_iterations) if strategy == "rl" else [budget.iterations]
    total = {"d_steps": 0, "g_steps": 0, "gan_flops": 0.0, "proxy_evaluations": 0, "proxy_flops": 0.0}
    for stage, stage_iterations in zip(stages, iterations):
        shared.set_stage(stage)
        resolution = space.stage_resolution(stage, widths)

        def build(choices, shared=shared):
            shared.set_arch(choices)
            return shared.generator, shared.discriminator

        steps = _sampled_steps(space, build, cfg, resolution)
        train = _critic_steps(cfg, stage_iterations * budget.shared_steps, steps, cfg.d_batch)
        proxies = (stage_iterations * budget.evaluations_per_iteration + budget.stage_end_evaluations
                   if strategy == "rl" else n_candidates)
        total["d_steps"] += train["d_steps"]
        total["g_steps"] += train["g_steps"]
        total["gan_flops"] += train["flops"]
        total["proxy_evaluations"] += proxies
        total["proxy_flops"] += proxies * _proxy_flops(cfg, steps, backbone)
    schedule = ("MLAS stages " + ", ".join(f"{i} iterations" for i in iterations) if strategy == "rl"
                else f"{budget.iterations} iterations at the last stage, then {n_candidates} candidates scored")
    return {"schedule": f"{schedule}; {budget.shared_steps} shared D steps per iteration", **total}


def _differentiable(cfg: Config, space, backbone: float) -> dict:
    from .seeding import untouched_rng
    from .strategies.differentiable import AdversarialArchSearch
    from .training import GANTrainer

    options = cfg.options
    relaxed = space.build_relaxed(Widths.of(cfg, search=True))
    relaxed.set_relaxation(options.tau_max, options.gumbel)
    count_cfg = counting_config(cfg)

    with untouched_rng(CPU):
        trainer = GANTrainer(relaxed.generator, relaxed.discriminator, count_cfg, CPU,
                             g_params=relaxed.weight_parameters_g(), d_params=relaxed.weight_parameters_d(), ema=False)
        search = AdversarialArchSearch(relaxed, trainer, count_cfg, options)
        real = torch.zeros(COUNT_BATCH, cfg.channels, cfg.image_size, cfg.image_size)
        per_sample = {
            "d_arch": counted(lambda: search.d_arch_step(real)) / COUNT_BATCH if search.opt_d is not None else 0.0,
            "d": counted(lambda: trainer.d_step(real)) / COUNT_BATCH,
            "g_arch": counted(search.g_arch_step) / COUNT_BATCH,
            "g": counted(trainer.g_step) / COUNT_BATCH,
        }
    sample = sample_flops(relaxed.generator, cfg.latent_dim)
    per_epoch = DATASET_SIZE[cfg.dataset] // options.search_batch
    iterations = max(1, round(options.search_epochs * per_epoch))
    half = options.search_batch // 2
    g_steps = -(-iterations // cfg.n_critic)
    gan = iterations * half * (per_sample["d_arch"] + per_sample["d"]) \
        + g_steps * cfg.g_batch * (per_sample["g_arch"] + per_sample["g"])
    return {"schedule": f"{options.search_epochs:g} epochs of {per_epoch} batches of {options.search_batch} "
                        f"({DATASET_SIZE[cfg.dataset]:,} {cfg.dataset} images), each iteration a D architecture step "
                        "and a D step on half the batch each, a G architecture step and a G step every n_critic",
            "d_steps": iterations, "g_steps": g_steps, "arch_steps": iterations * (search.opt_d is not None) + g_steps,
            "gan_flops": gan, "proxy_evaluations": 1,
            "proxy_flops": cfg.proxy_samples * (sample + backbone)}


def estimate_search(cfg: Config, strategy: str, space, sustained_tflops: float) -> dict:
    """FLOPs and hours of `strategy`'s search on `space` with `cfg`'s search numbers (the paper's search recipe when
    asked), following each built-in strategy's step schedule."""
    sustained_tflops = check_tflops(sustained_tflops)
    if strategy not in ESTIMATED_STRATEGIES:
        raise UserError(f"no search estimate for strategy {strategy!r}; accepted: {', '.join(ESTIMATED_STRATEGIES)} "
                        "(a strategy of your own: time a short run, its metrics.json has its search device-hours)")
    if cfg.recipe == "paper":
        cfg = cfg.replace(**{k: v for k, v in space.paper_search_recipe(cfg.profile).items() if cfg.settable(k)})
    backbone = backbone_flops_per_image(cfg.backbone)
    parts = _differentiable(cfg, space, backbone) if strategy == "differentiable" else \
        _weight_sharing(cfg, space, strategy, backbone)
    total = parts["gan_flops"] + parts["proxy_flops"]
    return {"strategy": strategy, "space": space.name, "profile": cfg.profile, "recipe": cfg.recipe, **parts,
            "total_flops": total, "sustained_tflops": sustained_tflops,
            "estimated_hours": hours(total, sustained_tflops), "note": NOTE}


def estimate_report(cfg: Config, rate, space, genotype, arch_name: str | None, strategy: str | None = None) -> dict:
    """What `estimate` and `run --dry-run` print: the search (when a strategy is named) and the final training of
    `genotype`, in FLOPs and in hours on `rate`'s device (`rates.Rate`), with where the rate comes from."""
    report = {"profile": cfg.profile, "recipe": cfg.recipe, "device": rate.device, "rate": rate.to_dict()}
    total = 0.0
    if strategy is not None:
        report["search"] = estimate_search(cfg, strategy, space, rate.tflops)
        total += report["search"]["estimated_hours"]
    report["train"] = {"arch": arch_name or space.describe(genotype),
                       **estimate_training(cfg, space, genotype, rate.tflops)}
    total += report["train"]["estimated_hours_with_evaluation"]
    report["estimated_hours"] = total
    report["note"] = NOTE
    return report
