"""The AutoGAN discriminator every space trains with: the original's size, layers, growth and bad input."""
import pytest
import torch
from torch import nn

from ganas_bench.errors import UserError
from ganas_bench.spaces.autogan.discriminator import AutoGANDiscriminator
from ganas_bench.contracts.space import count_parameters


def test_discriminator_has_the_originals_parameter_count_at_df_128():
    assert count_parameters(AutoGANDiscriminator(128, channels=3)) == 1_053_824


def test_discriminator_scores_each_image_once():
    d = AutoGANDiscriminator(16, channels=1)
    assert d(torch.randn(5, 1, 16, 16)).shape == (5, 1)


def test_every_conv_and_the_linear_are_spectrally_normalised_and_the_linear_has_no_bias():
    d = AutoGANDiscriminator(8, channels=3)
    layers = [m for m in d.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 3 + 3 + 2 + 2 + 1
    assert all(hasattr(m, "parametrizations") and "weight" in m.parametrizations for m in layers)
    assert d.l5.bias is None


def test_discriminator_uses_global_sum_pooling():
    """A constant image twice as wide (after the same convs) gives a 4x larger score: the pool sums, it does not average."""
    torch.manual_seed(0)
    d = AutoGANDiscriminator(8, channels=1).eval()
    d.block1.c1.bias.data.fill_(0.3)
    small, big = torch.full((1, 1, 16, 16), 0.5), torch.full((1, 1, 32, 32), 0.5)
    ratio = d(big) / d(small)
    # interior positions dominate; padding at the borders keeps the ratio near, not exactly, 4
    assert 3.0 < ratio.item() < 5.0


@pytest.mark.parametrize("stage, side", [(0, 8), (1, 16), (2, 32)])
def test_stage_s_runs_the_first_s_plus_1_blocks_then_block_4(stage, side):
    torch.manual_seed(0)
    d = AutoGANDiscriminator(8, channels=3).eval()
    d.set_stage(stage)
    x = torch.randn(2, 3, side, side)
    h = x
    for block in (d.block1, d.block2, d.block3)[: stage + 1]:
        h = block(h)
    expected = d.l5(torch.relu(d.block4(h)).sum(dim=(2, 3)))
    torch.testing.assert_close(d(x), expected)


def test_default_stage_is_the_full_network():
    assert AutoGANDiscriminator(8).stage == 2


@pytest.mark.parametrize("stage", [-1, 3, 1.0, True])
def test_unknown_stage_is_refused(stage):
    with pytest.raises(UserError, match="accepted: 0..2"):
        AutoGANDiscriminator(8).set_stage(stage)


def test_activation_may_be_a_class_or_an_instance():
    torch.manual_seed(0)
    a = AutoGANDiscriminator(8, activation=nn.LeakyReLU)
    torch.manual_seed(0)
    b = AutoGANDiscriminator(8, activation=nn.LeakyReLU(0.01))
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(a.eval()(x), b.eval()(x))
