"""The config object: profiles, precedence (profile < file < CLI), coercion, strategy options, and one-line errors for
bad values."""
import json

import pytest

from ganas_bench.config import PROFILES, Config, load_config_file, make_config, profile_defaults
from ganas_bench.options import coerce_field
from ganas_bench.errors import UserError


def test_every_profile_is_valid_and_serialisable():
    for name in PROFILES:
        for strategy in (None, "rl", "random", "differentiable"):
            cfg = make_config(profile=name, strategy=strategy)
            assert cfg.profile == name and cfg.strategy == strategy
            data = json.loads(cfg.to_json())
            assert data["profile"] == name
            assert make_config(file_values=data, strategy=strategy) == cfg  # config.json round-trips


def test_paper_profiles_carry_the_papers_numbers():
    c10 = profile_defaults("cifar10")
    assert (c10.image_size, c10.bottom_width, c10.gf_dim, c10.df_dim, c10.latent_dim) == (32, 4, 256, 128, 128)
    assert (c10.g_batch, c10.d_batch, c10.n_critic, c10.train_iters) == (128, 64, 5, 50000)
    assert (c10.beta1, c10.beta2, c10.ema_decay, c10.n_fake) == (0.0, 0.9, 0.999, 50000)
    assert c10.stage_iters == (15, 20, 30) and c10.controller_steps == 30 and c10.proxy_samples == 5000
    arch = make_config(profile="cifar10", strategy="differentiable").options
    assert (arch.arch_lr, arch.arch_beta1, arch.arch_beta2, arch.search_batch, arch.search_epochs) == (
        3e-4, 0.5, 0.999, 120, 24.0)
    assert make_config(profile="cifar10", strategy="rl").options.mlas_k == 5
    stl = profile_defaults("stl10")
    assert (stl.image_size, stl.bottom_width, stl.dataset) == (48, 6, "stl10")


def test_file_values_override_profile_and_cli_overrides_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("g_batch: 16\nn_critic: 3\nstage_iters: [2, 2, 2]\n")
    cfg = make_config(profile="tiny", file_values=load_config_file(path), overrides={"n_critic": 4, "gumbel": "false"},
                      strategy="differentiable")
    assert cfg.g_batch == 16 and cfg.n_critic == 4 and cfg.stage_iters == (2, 2, 2) and cfg.options.gumbel is False


def test_stage_iters_parse_from_a_comma_list():
    assert coerce_field(Config, "stage_iters", "3, 4,5") == (3, 4, 5)


def test_strategy_options_belong_to_their_strategy():
    assert make_config(profile="smoke", strategy="rl").options.mlas_k == 2  # the strategy's own profile default
    with pytest.raises(UserError, match="'arch_lr' is an option of strategy 'differentiable'; this run's strategy is 'rl'"):
        make_config(profile="tiny", overrides={"arch_lr": 0.1}, strategy="rl")
    with pytest.raises(UserError, match="'mlas_k' is an option of strategy 'rl'; this command runs no strategy"):
        make_config(profile="tiny", file_values={"mlas_k": 3})


def test_a_config_file_may_hold_sections_for_several_strategies():
    sections = {"rl": {"mlas_k": 3}, "differentiable": {"arch_lr": 0.5}}
    assert make_config(profile="tiny", file_values=sections, strategy="rl").options.mlas_k == 3
    assert make_config(profile="tiny", file_values=sections, strategy="differentiable").options.arch_lr == 0.5
    with pytest.raises(UserError, match="unknown option 'nope' of strategy 'rl'"):
        make_config(profile="tiny", file_values={"rl": {"nope": 1}}, strategy="rl")


def test_a_recorded_config_of_an_older_version_with_every_strategys_options_flat_still_loads():
    old = dict(profile_defaults("smoke").to_dict(), arch_lr=0.02, mlas_k=2, random_candidates=0)
    cfg = make_config(file_values=old, strategy="rl", lenient=True)
    assert cfg.options.mlas_k == 2 and cfg.profile == "smoke"


def test_cross_field_rules_of_a_strategy_see_the_core_config():
    with pytest.raises(UserError, match="invalid mlas_k=11; accepted: an integer <= mlas_m \\(10\\)"):
        make_config(profile="tiny", overrides={"mlas_k": 11}, strategy="rl")


@pytest.mark.parametrize("field,value,fragment", [
    ("train_iters", 0, "train_iters=0"),
    ("g_batch", -3, "g_batch=-3"),
    ("dataset", "mnist", "dataset='mnist'"),
    ("ema_decay", 1.5, "ema_decay=1.5"),
    ("stage_iters", "1,0,1", "stage_iters"),
])
def test_bad_values_name_the_field_and_what_is_accepted(field, value, fragment):
    with pytest.raises(UserError) as err:
        make_config(profile="tiny", overrides={field: value})
    assert fragment in str(err.value) and "accepted" in str(err.value)


def test_wrong_type_and_unknown_field_are_user_errors():
    with pytest.raises(UserError, match="wants an integer"):
        make_config(profile="tiny", file_values={"g_batch": "many"})
    with pytest.raises(UserError, match="unknown config field 'nope'"):
        make_config(profile="tiny", file_values={"nope": 1})
    with pytest.raises(UserError, match="unknown profile 'huge'"):
        make_config(profile="huge")


def test_unreadable_and_malformed_config_files(tmp_path):
    with pytest.raises(UserError, match="cannot read config file"):
        load_config_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UserError, match="not valid json"):
        load_config_file(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(UserError, match="must hold a mapping"):
        load_config_file(listy)


def test_image_size_must_match_three_doublings_of_the_bottom_width_a_rule_of_the_space(tmp_path):
    from ganas_bench.commands import command_train

    cfg = make_config(profile="tiny", overrides={"image_size": 20, "results_dir": str(tmp_path / "runs")})
    with pytest.raises(UserError, match="invalid image_size=20 for bottom_width=2; accepted: 16"):
        command_train(cfg, "autogan_cifar10_a")
    assert not (tmp_path / "runs").exists()


def test_config_is_frozen():
    cfg = Config()
    with pytest.raises(Exception):
        cfg.seed = 3


@pytest.mark.parametrize("field,value", [("lr_g", float("inf")), ("entropy_coef", float("nan")), ("seed", 2**32)])
def test_non_finite_numbers_and_oversized_seeds_are_refused(field, value):
    with pytest.raises(UserError, match=f"invalid {field}="):
        make_config(profile="tiny", overrides={field: value}, strategy="rl")
