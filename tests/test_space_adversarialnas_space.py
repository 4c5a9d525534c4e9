"""The adversarialnas space as strategies see it: decisions, size, genotypes, the published architecture, bad input."""
import json

import pytest

from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype
from ganas_bench.registry import SPACES, get_architecture
from ganas_bench.contracts.space import Widths

TINY = Widths(latent_dim=64, bottom_width=2, gf_dim=8, df_dim=8, channels=1, image_size=16)


@pytest.fixture(scope="module")
def space():
    return SPACES.get("adversarialnas")()


def test_decisions_cover_g_then_d_in_the_originals_column_order(space):
    decisions = space.decisions()
    assert len(decisions) == 21 + 28
    assert [d.name for d in decisions[:7]] == ["g1_up0", "g1_up1", "g1_c0", "g1_c1", "g1_c2", "g1_c3", "g1_c4"]
    assert [d.name for d in decisions[21:28]] == ["d1_c0", "d1_c1", "d1_c2", "d1_c3", "d1_c4", "d1_down0", "d1_down1"]
    assert all(d.stage == 0 for d in decisions)
    by_name = {d.name: d for d in decisions}
    assert by_name["g3_up1"].labels == ("nearest", "bilinear", "deconv")
    assert by_name["g2_c4"].labels[0] == "none" and by_name["g2_c4"].n_choices == 7
    assert by_name["d4_down1"].labels == (
        "avg_pool", "max_pool", "conv_3x3", "conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
    # the first D cell's edges from the image have the 5 convs only; its c3, c4 and every later cell have all 7 ops
    for edge in ("c0", "c1", "c2"):
        assert by_name[f"d1_{edge}"].labels == ("conv_1x1", "conv_3x3", "conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
    assert by_name["d1_c3"].n_choices == 7 and by_name["d2_c0"].n_choices == 7


def test_size_is_the_papers_joint_count(space):
    report = space.size_report()
    assert report["g"] == (9 * 7**5) ** 3
    assert report["d"] == (36 * 7**5) ** 4
    assert report["joint"] == report["g"] * report["d"] == space.size()
    assert 4.6e38 < space.size() < 4.7e38
    assert report["d_genotypes"] == (36 * 7**5) ** 3 * 36 * 5**3 * 7**2  # what the encoding can actually express


def test_genotype_json_round_trip_keeps_value_and_hash(space):
    import numpy as np

    genotype = space.sample(np.random.default_rng(3))
    again = Genotype.from_json(genotype.to_json())
    assert again == genotype and again.stable_hash() == genotype.stable_hash()
    assert space.validate(Genotype.from_dict(json.loads(json.dumps(genotype.to_dict())))) == genotype


def test_published_cifar10_genotype_is_the_released_generator(space):
    arch = get_architecture("adversarialnas_cifar10")
    assert arch.space == "adversarialnas"
    genotype = space.genotype(arch.choices)
    assert list(genotype.choices[:21]) == [1, 1, 1, 0, 3, 3, 1, 1, 1, 0, 1, 3, 3, 3, 0, 1, 0, 3, 3, 0, 3]
    text = space.describe(genotype)
    assert "g1_c1=none" in text and "g3_up0=nearest" in text and "g2_c4=conv_3x3" in text
    assert "adversarialnas_cifar10" in space.published()


@pytest.mark.parametrize("choices, fragment", [
    ((0,) * 48, "48 choices"),
    ((0,) * 21 + (5,) + (0,) * 27, "d1_c0=5"),  # image edges of D's first cell have 5 ops
    ((3,) + (0,) * 48, "g1_up0=3"),
    ((0,) * 47 + (-1, 0), "d4_down0=-1"),
])
def test_bad_genotypes_are_refused_with_the_bad_value_named(space, choices, fragment):
    with pytest.raises(UserError, match=fragment):
        space.genotype(choices)
    with pytest.raises(UserError):
        space.build_generator(Genotype("adversarialnas", choices), TINY)


def test_genotype_of_another_space_is_refused(space):
    with pytest.raises(UserError, match="autogan"):
        space.build_searched_discriminator(Genotype("autogan", (0,) * 49), TINY)


@pytest.mark.parametrize("changes, fragment", [
    (dict(image_size=24), "image_size=24"),
    (dict(latent_dim=2), "latent_dim=2"),
    (dict(gf_dim=0), "gf_dim=0"),
])
def test_bad_generator_widths_are_refused(space, changes, fragment):
    widths = Widths(**{**TINY.__dict__, **changes})
    with pytest.raises(UserError, match=fragment):
        space.build_generator(space.genotype((0,) * 49), widths)


def test_searched_discriminator_refuses_sizes_its_four_halvings_cannot_take(space):
    widths = Widths(**{**TINY.__dict__, "image_size": 40, "bottom_width": 5})
    with pytest.raises(UserError, match="image_size=40"):
        space.build_searched_discriminator(space.genotype((0,) * 49), widths)
    with pytest.raises(UserError, match="image_size=40"):
        space.build_relaxed(widths)
