"""Compute estimates before renting a GPU: FLOPs of one final-training iteration of an architecture at a profile's
widths (counted by torch's FLOP counter on the CPU, no data needed) and the GPU-hours that implies.

The GPU-hours assume a sustained throughput (TFLOP/s actually achieved, not the card's peak); they are an estimate and
the output says so. Measured device-hours of real runs are in each run's metrics.json.
"""
from __future__ import annotations

import math

import torch

from .config import Config
from .cost import count_params, training_step_flops
from .errors import UserError
from .contracts.space import Widths


def estimate_training(cfg: Config, space, genotype, sustained_tflops: float) -> dict:
    if not (math.isfinite(sustained_tflops) and 0 < sustained_tflops <= 1e9):
        raise UserError(f"invalid --sustained-tflops {sustained_tflops!r}; accepted: a number > 0 and <= 1e9")
    if cfg.recipe == "paper":
        cfg = cfg.replace(**space.paper_recipe(cfg.profile))
    widths = Widths(cfg.latent_dim, cfg.bottom_width, cfg.gf_dim, cfg.df_dim, cfg.channels, cfg.image_size)
    generator = space.build_generator(genotype, widths)
    discriminator = space.build_discriminator(genotype, widths)
    real = torch.zeros(cfg.d_batch, cfg.channels, cfg.image_size, cfg.image_size)
    flops = training_step_flops(generator, discriminator, cfg.latent_dim, real, cfg.g_batch, cfg.n_critic)
    total = flops * cfg.train_iters
    return {
        "profile": cfg.profile, "recipe": cfg.recipe, "params_g": count_params(generator), "params_d": count_params(discriminator),
        "flops_per_iteration": flops, "iterations": cfg.train_iters, "total_flops": total,
        "sustained_tflops": sustained_tflops, "estimated_gpu_hours": total / (sustained_tflops * 1e12) / 3600.0,
        "note": "estimate: total FLOPs / assumed sustained throughput; excludes evaluation and data loading",
    }
