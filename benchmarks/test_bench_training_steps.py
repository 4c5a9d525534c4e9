"""Throughput of the training steps every run spends its time in, on the tiny profile's widths.

- final training: one iteration (n_critic D steps + 1 G step + EMA) of a standalone derived architecture;
- weight-sharing supernet (rl / random): one D step with a freshly sampled architecture, then one G step;
- relaxed supernet (differentiable): one D step and one G step through every mixed op.
Images per second counts the real and generated images that pass through D in one measured call.
"""
import numpy as np
import pytest
import torch

from ganas_bench.config import make_config
from ganas_bench.harness import RunHarness
from ganas_bench.data import load_real_images
from ganas_bench.registry import SPACES, get_architecture
from ganas_bench.genotype import Genotype

CFG = make_config(profile="tiny", overrides={"device": "cpu"})
SEARCH_BATCH = make_config(profile="tiny", strategy="differentiable").options.search_batch  # its own option
ROUNDS, WARMUP = 15, 3  # a handful of rounds swung by 2x on this shared 2-core machine; 15 after 3 warm-ups settle


def context():
    torch.manual_seed(0)
    real = load_real_images("digits", image_size=CFG.image_size)
    harness = RunHarness(CFG, torch.device("cpu"), real)
    harness.reseed(0)
    return harness


def report(benchmark, images_per_call):
    benchmark.extra_info["images_per_call"] = images_per_call
    benchmark.extra_info["images_per_second"] = images_per_call / benchmark.stats.stats.mean


def test_final_training_iteration_autogan_a(benchmark):
    ctx = context()
    arch = get_architecture("autogan_cifar10_a")
    space = SPACES.get("autogan")()
    genotype = Genotype(arch.space, arch.choices)
    widths = ctx.widths(search=False)
    trainer = ctx.make_trainer(space.build_generator(genotype, widths), space.build_discriminator(genotype, widths))
    batches = ctx.real_batches(CFG.image_size, CFG.d_batch)
    benchmark.pedantic(trainer.iteration, args=(batches,), rounds=ROUNDS, iterations=1, warmup_rounds=WARMUP)
    report(benchmark, CFG.n_critic * 2 * CFG.d_batch + CFG.g_batch)


@pytest.mark.parametrize("space_name", ["autogan", "adversarialnas"])
def test_weight_sharing_supernet_step(benchmark, space_name):
    ctx = context()
    space = SPACES.get(space_name)()
    shared = space.build_shared(ctx.widths(search=True))
    trainer = ctx.make_trainer(shared.generator, shared.discriminator)
    batches = ctx.real_batches(CFG.image_size, CFG.d_batch)
    rng = np.random.default_rng(0)

    def step():
        shared.set_arch(space.sample(rng).choices)
        trainer.d_step(next(batches))
        trainer.g_step()

    benchmark.pedantic(step, rounds=ROUNDS, iterations=1, warmup_rounds=WARMUP)
    report(benchmark, 2 * CFG.d_batch + CFG.g_batch)


@pytest.mark.parametrize("space_name", ["autogan", "adversarialnas"])
def test_relaxed_supernet_step(benchmark, space_name):
    ctx = context()
    space = SPACES.get(space_name)()
    relaxed = space.build_relaxed(ctx.widths(search=True))
    relaxed.set_relaxation(1.0, True)
    trainer = ctx.make_trainer(relaxed.generator, relaxed.discriminator, g_params=relaxed.weight_parameters_g(),
                               d_params=relaxed.weight_parameters_d())
    batches = ctx.real_batches(CFG.image_size, SEARCH_BATCH)

    def step():
        trainer.d_step(next(batches))
        trainer.g_step()

    benchmark.pedantic(step, rounds=ROUNDS, iterations=1, warmup_rounds=WARMUP)
    report(benchmark, 2 * SEARCH_BATCH + CFG.g_batch)
