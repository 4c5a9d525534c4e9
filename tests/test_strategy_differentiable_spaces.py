"""The differentiable strategy end to end, smoke profile, on the real relaxed supernets (autogan: G only;
adversarialnas: G and D)."""
import math

import pytest
import torch

from ganas_bench.config import make_config
from ganas_bench.data import load_real_images
from ganas_bench.harness import RunHarness
from ganas_bench.registry import SPACES, STRATEGIES
from ganas_bench.search import loop


@pytest.fixture(scope="module")
def digits():
    return load_real_images("digits", image_size=16)


def run_search(space_name, real, **changes):
    cfg = make_config(profile="smoke", overrides=changes, strategy="differentiable")
    space = SPACES.get(space_name)()
    events = []
    harness = RunHarness(cfg, torch.device("cpu"), real, log=lambda event, **fields: events.append(event))
    harness.reseed(cfg.seed)
    strategy = STRATEGIES.get("differentiable")(space, harness, cfg.options)
    return loop.run_search(strategy, harness), space, strategy, events


@pytest.mark.parametrize("space_name, searches_d", [("autogan", False), ("adversarialnas", True)])
def test_smoke_search_derives_a_valid_genotype_and_moves_the_alphas(digits, space_name, searches_d):
    result, space, strategy, events = run_search(space_name, digits, arch_lr=3e-2)
    (best,) = result.ranked
    assert space.validate(best.genotype) == best.genotype and best.genotype.space == space_name
    assert math.isfinite(best.score) and best.score >= 1.0
    info = result.info
    assert info["searched_discriminator"] is searches_d
    assert info["d_arch_steps"] == (info["iterations"] if searches_d else 0)
    assert info["g_arch_steps"] == info["g_steps"] == info["iterations"]  # smoke: n_critic 1
    first, last = result.curve[0], result.curve[-1]
    assert last["step"] == info["iterations"] and events.count("alphas") == len(result.curve)
    assert set(last["entropies"]) == set(first["entropies"]) and len(last["entropies"]) == len(space.decisions())
    assert last["entropy"] < first["entropy"]  # 6 steps at a large arch_lr sharpen the distributions
    assert strategy.trainer.d_steps == info["iterations"] and strategy.trainer.ema is None


def test_smoke_search_on_adversarialnas_is_deterministic_under_a_seed(digits):
    first = run_search("adversarialnas", digits, search_epochs=0.02)[0]  # one iteration: all four steps
    second = run_search("adversarialnas", digits, search_epochs=0.02)[0]
    assert first.info["iterations"] == 1 and first.to_dict() == second.to_dict()
