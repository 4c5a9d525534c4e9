"""The `autogan` space: its decisions and encoding, the released generators' exact sizes, standalone nets, bad input."""
import numpy as np
import pytest
import torch
from torch import nn

from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype
from ganas_bench.registry import SPACES, get_architecture
from ganas_bench.spaces.autogan.discriminator import AutoGANDiscriminator
from ganas_bench.spaces.autogan.encoding import CellChoice, decode, encode
from ganas_bench.contracts.space import Differentiable, SearchSpace, WeightSharing, Widths, count_parameters

TINY = Widths(latent_dim=16, bottom_width=2, gf_dim=8, df_dim=8, channels=1, image_size=16)
CIFAR_FINAL = Widths(latent_dim=128, bottom_width=4, gf_dim=256, df_dim=128, channels=3, image_size=32)
STL_FINAL = Widths(latent_dim=128, bottom_width=6, gf_dim=256, df_dim=128, channels=3, image_size=48)


@pytest.fixture(scope="module")
def space():
    return SPACES.get("autogan")()


def test_space_is_registered_with_both_search_capabilities(space):
    assert isinstance(space, (SearchSpace)) and isinstance(space, WeightSharing) and isinstance(space, Differentiable)
    assert space.name == "autogan"


def test_space_has_the_originals_14_decisions_one_stage_per_cell(space):
    ds = space.decisions()
    assert [d.n_choices for d in ds] == [2, 3, 3, 2, 2, 3, 3, 2, 2, 2, 3, 3, 2, 4]
    assert [d.stage for d in ds] == [0] * 4 + [1] * 5 + [2] * 5
    assert all(len(d.labels) == d.n_choices for d in ds)
    assert ds[0].labels == ("post", "pre") and ds[1].labels == ("none", "bn", "in")
    assert ds[2].labels == ("bilinear", "nearest", "deconv")
    assert space.size() == 373_248 and space.n_stages == 3


def test_cell3_skip_integer_reads_lsb_as_from_cell2_and_next_bit_as_from_cell1():
    head = (1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0)
    assert [decode(head + (v,))[2].skips for v in range(4)] == [
        (False, False), (False, True), (True, False), (True, True)
    ]


def test_encoding_round_trips_through_decode(space):
    rng = np.random.default_rng(0)
    for _ in range(50):
        g = space.sample(rng)
        assert encode(decode(g.choices)) == g.choices


def test_autogan_a_has_the_published_encoding_and_cells():
    a = get_architecture("autogan_cifar10_a")
    assert a.space == "autogan" and a.choices == (1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 3)
    assert decode(a.choices) == (
        CellChoice("pre", "none", "nearest", True, ()),
        CellChoice("pre", "none", "bilinear", True, (True,)),
        CellChoice("pre", "none", "nearest", False, (True, True)),
    )


@pytest.mark.parametrize(
    "name, widths, expected",
    [
        ("autogan_cifar10_a", CIFAR_FINAL, 4_405_251),
        ("autogan_cifar10_a", STL_FINAL, 5_065_731),
        ("autogan_cifar10_b", CIFAR_FINAL, 4_471_043),
        ("autogan_cifar10_c", CIFAR_FINAL, 4_406_275),
    ],
)
def test_released_generators_have_the_originals_parameter_counts(space, name, widths, expected):
    g = space.build_generator(space.published()[name], widths)
    assert count_parameters(g) == expected


def test_sngan_baseline_is_preactivation_batchnorm_nearest_with_shortcuts_and_no_skips(space):
    cells = decode(space.published()["sngan_resnet"].choices)
    assert all(c == CellChoice("pre", "bn", "nearest", True, c.skips) and not any(c.skips) for c in cells)
    g = space.build_generator(space.published()["sngan_resnet"], TINY)
    assert all(cell.c_sc is not None and len(cell.skip_in_ops) == 0 for cell in g.cells)


def test_generator_makes_images_of_the_profile_size_in_tanh_range(space):
    rng = np.random.default_rng(1)
    for _ in range(3):
        g = space.build_generator(space.sample(rng), TINY)
        x = g(torch.randn(4, TINY.latent_dim))
        assert x.shape == (4, 1, 16, 16) and x.abs().max() <= 1


def test_generator_holds_only_the_layers_its_genotype_uses(space):
    g = space.build_generator(space.published()["autogan_cifar10_a"], TINY)
    assert not any(isinstance(m, (nn.ConvTranspose2d, nn.BatchNorm2d)) for m in g.cells.modules())
    assert g.cells[2].c_sc is None and sorted(g.cells[2].skip_in_ops) == ["0", "1"]
    deconv = space.build_generator(space.genotype((0, 2, 2, 1, 0, 2, 2, 0, 1, 0, 2, 2, 1, 2)), TINY)
    # main path, shortcut (cells 1 and 3), skip 1->2 (one 2x deconv) and 1->3 (two): 3 + 2 + 1 + 2
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in deconv.modules()) == 8


def test_weights_start_with_the_papers_xavier_init(space):
    torch.manual_seed(0)
    g = space.build_generator(space.published()["autogan_cifar10_c"], CIFAR_FINAL)
    conv = g.cells[0].conv1["pre"].conv.weight
    bound = (6 / (conv.shape[1] * 9 + conv.shape[0] * 9)) ** 0.5
    assert 0.95 * bound < conv.abs().max() <= bound
    bn = g.cells[0].conv1["pre"].bn
    assert abs(bn.weight.mean() - 1) < 0.01 and abs(bn.weight.std() - 0.02) < 0.005 and bn.bias.abs().max() == 0
    linear_bound = 1 / CIFAR_FINAL.latent_dim**0.5  # the linear keeps PyTorch's default, as in the original
    assert g.l1.weight.abs().max() <= linear_bound


def test_skip_feature_includes_received_skips_by_default_and_not_when_told(space):
    a = space.published()["autogan_cifar10_a"]
    torch.manual_seed(0)
    with_received = space.build_generator(a, TINY).eval()
    plain_space = SPACES.get("autogan")(skip_includes_received=False)
    without = plain_space.build_generator(a, TINY).eval()
    without.load_state_dict(with_received.state_dict())
    z = torch.randn(3, TINY.latent_dim)
    assert not torch.allclose(with_received(z), without(z))
    # only cell 2's skip output (received from cell 1) differs; with no skips into cell 2 the two agree
    no_cell2_skip = space.genotype(a.choices[:8] + (0,) + a.choices[9:])
    torch.manual_seed(0)
    g1 = space.build_generator(no_cell2_skip, TINY).eval()
    g2 = plain_space.build_generator(no_cell2_skip, TINY).eval()
    g2.load_state_dict(g1.state_dict())
    torch.testing.assert_close(g1(z), g2(z))


def test_generator_is_deterministic_under_a_seed(space):
    g = space.published()["autogan_cifar10_b"]
    outs = []
    for _ in range(2):
        torch.manual_seed(3)
        outs.append(space.build_generator(g, TINY)(torch.randn(2, TINY.latent_dim)))
    assert torch.equal(*outs)


def test_discriminator_for_any_genotype_is_the_autogan_d_at_the_profile_widths(space):
    d = space.build_discriminator(space.published()["autogan_cifar10_a"], CIFAR_FINAL)
    assert isinstance(d, AutoGANDiscriminator) and count_parameters(d) == 1_053_824


@pytest.mark.parametrize(
    "choices, message",
    [
        ((1, 0, 1, 1), "has 4 choices"),
        ((1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 4), "cell3.skip=4 is out of range; accepted: 0..3"),
        ((1, 0, 3, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 3), "cell1.up=3 is out of range; accepted: 0..2"),
        ((1, 0, 1, 1, 1, 0, 0, 1, 2, 1, 0, 1, 0, 3), "cell2.skip=2 is out of range; accepted: 0..1"),
    ],
)
def test_malformed_genotype_is_refused(space, choices, message):
    with pytest.raises(UserError, match=message):
        space.build_generator(Genotype("autogan", choices), TINY)


def test_genotype_of_another_space_is_refused(space):
    with pytest.raises(UserError, match="belongs to space 'adversarialnas'"):
        space.build_generator(Genotype("adversarialnas", (0,) * 14), TINY)


def test_widths_that_cannot_reach_the_image_size_are_refused(space):
    bad = Widths(latent_dim=16, bottom_width=4, gf_dim=8, df_dim=8, channels=1, image_size=16)
    with pytest.raises(UserError, match="invalid image_size=16 for bottom_width=4; accepted: 32"):
        space.build_generator(space.published()["sngan_resnet"], bad)


@pytest.mark.parametrize("stage", [-1, 3])
def test_stage_the_space_does_not_have_is_refused(space, stage):
    with pytest.raises(UserError, match="accepted: 0..2"):
        space.stage_slice(stage)
    with pytest.raises(UserError, match="accepted: 0..2"):
        space.stage_resolution(stage, TINY)
