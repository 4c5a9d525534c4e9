"""The pipeline really trains: a released architecture trained briefly beats its untrained self by a wide FID margin.

Shortened budget (smoke widths, 300 G iterations); the README's tiny-profile numbers are the full-length version.
"""
import pytest

from ganas_bench.config import make_config
from ganas_bench.pipeline import command_train


@pytest.mark.parametrize("arch", ["autogan_cifar10_a", "adversarialnas_cifar10"])
def test_trained_generator_beats_the_untrained_one(tmp_path, arch):
    cfg = make_config(profile="smoke", overrides={"results_dir": str(tmp_path), "device": "cpu", "train_iters": 300,
                                                  "n_fake": 512})
    metrics = command_train(cfg, arch, "q").read_json("metrics.json")
    untrained = metrics["untrained"]
    assert metrics["fid"] < 0.5 * untrained["fid"], (metrics["fid"], untrained["fid"])
    assert metrics["is_mean"] > untrained["is_mean"], (metrics["is_mean"], untrained["is_mean"])


def test_a_derived_adversarialnas_generator_retrained_beats_its_untrained_self(tmp_path):
    """`run` records the untrained derived generator's scores beside the retrained one's, so this guard holds for any
    searched genotype, not only for the released one."""
    from ganas_bench.pipeline import command_run

    cfg = make_config(profile="smoke", overrides={"results_dir": str(tmp_path), "device": "cpu", "train_iters": 300,
                                                  "n_fake": 512})
    metrics = command_run(cfg, "differentiable", "adversarialnas", "q").read_json("metrics.json")
    untrained = metrics["untrained"]
    assert metrics["fid"] < 0.5 * untrained["fid"], (metrics["fid"], untrained["fid"])
    assert metrics["is_mean"] > untrained["is_mean"], (metrics["is_mean"], untrained["is_mean"])
