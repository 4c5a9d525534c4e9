"""Compute estimates from counted FLOPs, and `--recipe paper` following each method's own final-training numbers."""
import pytest

from ganas_bench.config import make_config, profile_defaults
from ganas_bench.errors import UserError
from ganas_bench.estimate import estimate_training
from ganas_bench.genotype import Genotype
from ganas_bench.registry import SPACES, get_architecture
from ganas_bench.spaces.base import Widths, count_parameters


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
    assert recipe == {"latent_dim": 120, "gf_dim": 256, "g_batch": 80, "d_batch": 40, "train_iters": 150_000}
    cfg = profile_defaults("cifar10").replace(**recipe)
    widths = Widths(cfg.latent_dim, cfg.bottom_width, cfg.gf_dim, cfg.df_dim, cfg.channels, cfg.image_size)
    assert count_parameters(space.build_generator(genotype, widths)) == 8_846_851
    stl = profile_defaults("stl10").replace(**space.paper_recipe("stl10"))
    widths = Widths(stl.latent_dim, stl.bottom_width, stl.gf_dim, stl.df_dim, stl.channels, stl.image_size)
    assert count_parameters(space.build_generator(genotype, widths)) == 8_881_923
    assert space.paper_recipe("tiny") == {}


def test_autogan_paper_recipe_is_the_profile_itself():
    space, _ = arch("autogan_cifar10_a")
    assert space.paper_recipe("cifar10") == {}


def test_estimate_follows_the_paper_recipe_when_asked():
    space, genotype = arch("adversarialnas_cifar10")
    equal = estimate_training(make_config(profile="smoke"), space, genotype, 10.0)
    paper = estimate_training(make_config(profile="smoke", overrides={"recipe": "paper"}), space, genotype, 10.0)
    assert paper == {**equal, "recipe": "paper"}  # smoke has no paper recipe of its own
