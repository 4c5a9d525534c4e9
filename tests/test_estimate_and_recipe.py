"""Compute estimates from counted FLOPs, and `--recipe paper` following each method's own final-training numbers."""
import json

import pytest

from ganas_bench.config import make_config, profile_defaults
from ganas_bench.errors import UserError
from ganas_bench.estimate import estimate_training
from ganas_bench.genotype import Genotype
from ganas_bench.registry import SPACES, get_architecture
from ganas_bench.contracts.space import Widths, count_parameters
from ganas_bench.spaces.adversarialnas.space import paper_g_iterations


def arch(name):
    a = get_architecture(name)
    return SPACES.get(a.space)(), Genotype(a.space, a.choices)


def test_estimate_scales_with_iterations_and_throughput():
    space, genotype = arch("autogan_cifar10_a")
    cfg = make_config(profile="smoke")
    one = estimate_training(cfg, space, genotype, 10.0)
    two = estimate_training(cfg.replace(train_iters=2 * cfg.train_iters), space, genotype, 20.0)
    assert one["flops_per_iteration"] > 0 and two["total_flops"] == 2 * one["total_flops"]
    assert two["estimated_gpu_hours"] == pytest.approx(one["estimated_gpu_hours"])
    assert one["estimated_gpu_hours"] == pytest.approx(one["total_flops"] / 10e12 / 3600)


def test_estimate_refuses_a_non_positive_throughput():
    space, genotype = arch("autogan_cifar10_a")
    with pytest.raises(UserError, match="sustained-tflops"):
        estimate_training(make_config(profile="smoke"), space, genotype, 0.0)


def test_paper_recipe_gives_adversarialnas_its_own_final_training():
    space, genotype = arch("adversarialnas_cifar10")
    recipe = space.paper_recipe("cifar10")
    assert recipe == {"latent_dim": 120, "gf_dim": 256, "g_batch": 80, "d_batch": 40, "n_critic": 5,
                      "train_iters": 150_000}
    assert space.paper_recipe("stl10") == {"latent_dim": 120, "gf_dim": 270, "g_batch": 256, "d_batch": 128,
                                           "n_critic": 5, "train_iters": 98_520}
    cfg = profile_defaults("cifar10").replace(**recipe)
    widths = Widths(cfg.latent_dim, cfg.bottom_width, cfg.gf_dim, cfg.df_dim, cfg.channels, cfg.image_size)
    assert count_parameters(space.build_generator(genotype, widths)) == 8_846_851
    stl = profile_defaults("stl10").replace(**space.paper_recipe("stl10"))
    widths = Widths(stl.latent_dim, stl.bottom_width, stl.gf_dim, stl.df_dim, stl.channels, stl.image_size)
    assert count_parameters(space.build_generator(genotype, widths)) == 8_881_923
    assert space.paper_recipe("tiny") == {}


def test_paper_g_iterations_follow_the_originals_epochs_and_loader_length():
    """120 G epochs x n_critic 5 = 600 epochs of D steps over a loader that keeps its partial last batch; G steps on
    every fifth D step: 120 x the loader's length."""
    assert paper_g_iterations(120, 50_000, 40) == 150_000  # CIFAR-10: 1,250 full batches per epoch
    assert paper_g_iterations(120, 105_000, 128) == 98_520  # STL-10: 820 full batches + 1 of 40 images
    assert paper_g_iterations(2, 10, 4) == 6  # a partial batch counts as a step


def test_autogan_paper_recipe_is_the_profile_itself():
    space, _ = arch("autogan_cifar10_a")
    assert space.paper_recipe("cifar10") == {}


def test_estimate_follows_the_paper_recipe_when_asked():
    space, genotype = arch("adversarialnas_cifar10")
    equal = estimate_training(make_config(profile="smoke"), space, genotype, 10.0)
    paper = estimate_training(make_config(profile="smoke", overrides={"recipe": "paper"}), space, genotype, 10.0)
    assert paper == {**equal, "recipe": "paper"}  # smoke has no paper recipe of its own


def test_paper_recipe_gives_adversarialnas_its_own_search_widths_and_batches():
    space, _ = arch("adversarialnas_cifar10")
    assert space.paper_search_recipe("cifar10") == {"search_gf_dim": 160, "search_df_dim": 80, "latent_dim": 120,
                                                    "search_batch": 120, "g_batch": 120}
    assert space.paper_search_recipe("tiny") == {}
    assert arch("autogan_cifar10_a")[0].paper_search_recipe("cifar10") == {}


def test_the_search_runs_with_the_paper_search_recipe_when_asked(tmp_path, monkeypatch):
    """Through the real commands: the search harness gets the space's search overrides (those the strategy has; a
    strategy without a `search_batch` option gets the rest), final training does not."""
    from ganas_bench.commands import command_run
    from ganas_bench.spaces.adversarialnas.space import AdversarialNASSpace
    from ganas_bench.strategies.differentiable import DifferentiableStrategy
    from ganas_bench.strategies.random_search import RandomStrategy

    seen = []
    for cls in (DifferentiableStrategy, RandomStrategy):
        original = cls.start

        def recording(self, original=original):
            cfg = self.harness.config
            seen.append((self.name, cfg.search_gf_dim, cfg.latent_dim, getattr(self.options, "search_batch", None)))
            original(self)

        monkeypatch.setattr(cls, "start", recording)
    monkeypatch.setattr(AdversarialNASSpace, "paper_search_recipe",
                        lambda self, profile: {"search_gf_dim": 4, "search_batch": 16})
    cfg = make_config(profile="smoke", overrides={"results_dir": str(tmp_path), "device": "cpu", "recipe": "paper"})
    run = command_run(cfg, "differentiable", "adversarialnas", "r", search_only=True)
    command_run(cfg, "random", "adversarialnas", "q", search_only=True)
    assert seen == [("differentiable", 4, cfg.latent_dim, 16), ("random", 4, cfg.latent_dim, None)]
    events = [json.loads(line) for line in (run.path / "events.jsonl").read_text().splitlines()]
    assert {"recipe": "paper", "phase": "search", "overrides": {"search_gf_dim": 4, "search_batch": 16}}.items() <= [
        e for e in events if e["event"] == "recipe"][0].items()
