"""Standalone networks of the adversarialnas space: exact sizes of the originals, latent split, `none` edges."""
import pytest
import torch

from ganas_bench.registry import SPACES, get_architecture
from ganas_bench.spaces.autogan.discriminator import AutoGANDiscriminator
from ganas_bench.contracts.space import Widths, count_parameters

TINY = Widths(latent_dim=64, bottom_width=2, gf_dim=8, df_dim=8, channels=1, image_size=16)
CIFAR10 = Widths(latent_dim=120, bottom_width=4, gf_dim=256, df_dim=128, channels=3, image_size=32)
STL10 = Widths(latent_dim=120, bottom_width=6, gf_dim=270, df_dim=128, channels=3, image_size=48)


@pytest.fixture(scope="module")
def space():
    return SPACES.get("adversarialnas")()


@pytest.fixture(scope="module")
def released(space):
    return space.genotype(get_architecture("adversarialnas_cifar10").choices)


def test_released_generator_has_the_originals_parameter_count_on_cifar10(space, released):
    assert count_parameters(space.build_generator(released, CIFAR10)) == 8_846_851


def test_released_generator_has_the_originals_parameter_count_on_stl10(space, released):
    generator = space.build_generator(released, STL10)
    assert count_parameters(generator) == 8_881_923
    assert generator.chunks == (60, 60)  # two injections, no l3


def test_cifar10_latent_splits_in_three_equal_chunks(space, released):
    generator = space.build_generator(released, Widths(**{**CIFAR10.__dict__, "gf_dim": 8}))
    assert generator.chunks == (40, 40, 40)
    assert [lin.in_features for lin in generator.project] == [40, 40, 40]


def test_tiny_latent_not_divisible_by_three_splits_into_chunks_differing_by_one(space, released):
    generator = space.build_generator(released, TINY)
    assert generator.chunks == (22, 21, 21)
    images = generator(torch.randn(5, 64))
    assert images.shape == (5, 1, 16, 16)
    assert images.abs().max() <= 1.0


def test_every_latent_chunk_reaches_the_image(space, released):
    torch.manual_seed(0)
    generator = space.build_generator(released, TINY).eval()
    z = torch.randn(2, 64)
    base = generator(z)
    for start in (0, 22, 43):
        moved = z.clone()
        moved[:, start] += 1.0
        assert not torch.allclose(generator(moved), base)


def test_none_edges_build_and_run_even_when_a_node_has_no_input(space):
    # every G normal edge `none`; D's non-image normal edges `none` too (node0 and node1/node2 of later cells are zeros)
    g = (0, 0, 0, 0, 0, 0, 0) * 3
    d = (1, 1, 1, 0, 0, 0, 0) + (0, 0, 0, 0, 0, 2, 3) * 3
    genotype = space.genotype(g + d)
    images = space.build_generator(genotype, TINY)(torch.randn(3, 64))
    assert images.shape == (3, 1, 16, 16) and torch.isfinite(images).all()
    scores = space.build_searched_discriminator(genotype, TINY)(images)
    assert scores.shape == (3, 1) and torch.isfinite(scores).all()


def test_standalone_nets_hold_only_the_chosen_ops(space, released):
    generator = space.build_generator(released, TINY)
    assert generator.op_names[0] == ("bilinear", "bilinear", "skip_connect", "none", "conv_3x3", "conv_3x3",
                                     "skip_connect")
    assert list(generator.cells[0].edges["c2"].ops) == ["conv_3x3"]
    assert len(generator.cells[0].edges["c1"].ops) == 0


def test_final_training_discriminator_is_autogans_fixed_d(space, released):
    discriminator = space.build_discriminator(released, CIFAR10)
    assert isinstance(discriminator, AutoGANDiscriminator)
    assert count_parameters(discriminator) == 1_053_824


def test_searched_discriminator_is_spectrally_normalised_and_scores_a_batch(space, released):
    discriminator = space.build_searched_discriminator(released, TINY)
    convs = [m for m in discriminator.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(hasattr(m, "parametrizations") for m in convs)
    assert hasattr(discriminator.head, "parametrizations")
    assert discriminator(torch.randn(4, 1, 16, 16)).shape == (4, 1)


def test_standalone_generator_is_deterministic_under_a_seed(space, released):
    outputs = []
    for _ in range(2):
        torch.manual_seed(7)
        generator = space.build_generator(released, TINY)
        outputs.append(generator(torch.randn(2, 64)))
    assert torch.equal(outputs[0], outputs[1])


def test_nets_start_with_the_originals_xavier_init(space, released):
    generator = space.build_generator(released, TINY)
    discriminator = space.build_searched_discriminator(released, TINY)
    conv = generator.cells[2].edges["c2"].ops["conv_3x3"].conv
    sn_conv = discriminator.cells[1].edges["c0"].ops["conv_3x3"].conv.parametrizations.weight.original
    for weight in (conv.weight, sn_conv):
        fan_in, fan_out = weight.shape[1] * 9, weight.shape[0] * 9
        bound = (6 / (fan_in + fan_out)) ** 0.5
        assert weight.abs().max() <= bound and weight.abs().max() > 0.8 * bound
    bn = generator.to_rgb[0]
    assert bn.weight.std() > 0 and bn.bias.abs().sum() == 0  # N(1, 0.02), zero bias
