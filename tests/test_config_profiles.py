"""The config object: profiles, precedence (profile < file < CLI), coercion and one-line errors for bad values."""
import json

import pytest

from ganas_bench.config import PROFILES, Config, coerce, load_config_file, make_config, profile_defaults
from ganas_bench.errors import UserError


def test_every_profile_is_valid_and_serialisable():
    for name in PROFILES:
        cfg = make_config(profile=name)
        assert cfg.profile == name
        assert json.loads(cfg.to_json())["profile"] == name


def test_paper_profiles_carry_the_papers_numbers():
    c10 = profile_defaults("cifar10")
    assert (c10.image_size, c10.bottom_width, c10.gf_dim, c10.df_dim, c10.latent_dim) == (32, 4, 256, 128, 128)
    assert (c10.g_batch, c10.d_batch, c10.n_critic, c10.train_iters) == (128, 64, 5, 50000)
    assert (c10.beta1, c10.beta2, c10.ema_decay, c10.n_fake) == (0.0, 0.9, 0.999, 50000)
    assert c10.stage_iters == (15, 20, 30) and c10.controller_steps == 30 and c10.proxy_samples == 5000
    assert (c10.arch_lr, c10.arch_beta1, c10.arch_beta2, c10.search_batch) == (3e-4, 0.5, 0.999, 120)
    stl = profile_defaults("stl10")
    assert (stl.image_size, stl.bottom_width, stl.dataset) == (48, 6, "stl10")


def test_file_values_override_profile_and_cli_overrides_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("g_batch: 16\nn_critic: 3\nstage_iters: [2, 2, 2]\n")
    cfg = make_config(profile="tiny", file_values=load_config_file(path), overrides={"n_critic": 4, "gumbel": "false"})
    assert cfg.g_batch == 16 and cfg.n_critic == 4 and cfg.stage_iters == (2, 2, 2) and cfg.gumbel is False


def test_stage_iters_parse_from_a_comma_list():
    assert coerce("stage_iters", "3, 4,5") == (3, 4, 5)


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


def test_image_size_must_match_three_doublings_of_the_bottom_width():
    with pytest.raises(UserError, match="image_size"):
        make_config(profile="tiny", overrides={"image_size": 20})


def test_config_is_frozen():
    cfg = Config()
    with pytest.raises(Exception):
        cfg.seed = 3


@pytest.mark.parametrize("field,value", [("lr_g", float("inf")), ("entropy_coef", float("nan")), ("seed", 2**32)])
def test_non_finite_numbers_and_oversized_seeds_are_refused(field, value):
    with pytest.raises(UserError, match=f"invalid {field}="):
        make_config(profile="tiny", overrides={field: value})
