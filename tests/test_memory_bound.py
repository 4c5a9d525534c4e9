"""The memory lower bound (ganas_bench/memory.py): it never refuses the papers' own settings, it stays below what the
networks really hold, and what it refuses names the limit."""
import numpy as np
import pytest

from ganas_bench.commands import check_widths, recipe_config
from ganas_bench.config import make_config
from ganas_bench.contracts.space import Widths
from ganas_bench.cost import count_params
from ganas_bench.errors import UserError
from ganas_bench.memory import PARAM_COPIES, check_fits, evaluation_bytes, training_bytes
from ganas_bench.registry import SPACES

GIB = 2**30


@pytest.mark.parametrize("profile", ["cifar10", "stl10"])
@pytest.mark.parametrize("space", ["autogan", "adversarialnas"])
@pytest.mark.parametrize("strategy", ["rl", "random", "differentiable"])
@pytest.mark.parametrize("recipe", ["equal", "paper"])
def test_the_papers_settings_are_far_below_any_gpu_of_their_time(profile, space, strategy, recipe):
    """Search and final widths of every pair, with either recipe: under 2 GiB by the bound (an 11 GiB card ran them),
    and the checks pass on this machine."""
    cfg = make_config(profile=profile, strategy=strategy, overrides={"recipe": recipe, "device": "cpu"})
    the_space = SPACES.get(space)()
    for search in (True, False):
        c, _ = recipe_config(cfg, the_space, search)
        batch = getattr(c.options, "search_batch", None) if search and strategy == "differentiable" else None
        gf, df = (c.search_gf_dim, c.search_df_dim) if search else (c.gf_dim, c.df_dim)
        need = training_bytes(c.latent_dim, c.bottom_width, gf, df, c.image_size, batch or c.g_batch,
                              batch or c.d_batch)
        assert need < 2 * GIB
    assert evaluation_bytes(cfg.n_fake, cfg.kid_subset_size, cfg.backbone) < 1 * GIB
    check_widths(cfg, the_space, search=True)


@pytest.mark.parametrize("space", ["autogan", "adversarialnas"])
@pytest.mark.parametrize("profile", ["smoke", "cifar10", "stl10"])
def test_the_parameter_part_of_the_bound_is_below_the_real_networks(space, profile):
    cfg = make_config(profile=profile)
    the_space = SPACES.get(space)()
    genotype = the_space.sample(np.random.default_rng(0))
    widths = Widths(cfg.latent_dim, cfg.bottom_width, cfg.gf_dim, cfg.df_dim, cfg.channels, cfg.image_size)
    real = count_params(the_space.build_generator(genotype, widths))
    bound = training_bytes(cfg.latent_dim, cfg.bottom_width, cfg.gf_dim, cfg.df_dim, cfg.image_size, 0, 0)
    assert bound / 4 / PARAM_COPIES <= real


def test_a_refusal_names_the_need_and_the_limit():
    cfg = make_config(profile="smoke", overrides={"gf_dim": 8192, "df_dim": 8192, "g_batch": 8192, "d_batch": 8192,
                                                  "image_size": 128, "bottom_width": 16, "device": "cpu"})
    with pytest.raises(UserError, match=r"needs at least [\d,.]+ GiB, over this machine's RAM \([\d,.]+ GiB\)"):
        check_fits(cfg, search=False)
    check_fits(make_config(profile="smoke", overrides={"device": "cpu"}), search=False)  # smoke fits
