"""The weight-sharing adversarialnas supernet: one set of weights, any G and D architecture set into it."""
import copy

import numpy as np
import pytest
import torch

from ganas_bench.errors import UserError
from ganas_bench.registry import SPACES
from ganas_bench.contracts.space import SharedGAN, SupernetUsageError, Widths

TINY = Widths(latent_dim=64, bottom_width=2, gf_dim=8, df_dim=8, channels=1, image_size=16)


@pytest.fixture(scope="module")
def space():
    return SPACES.get("adversarialnas")()


@pytest.fixture()
def shared(space):
    torch.manual_seed(0)
    return space.build_shared(TINY)


def test_shared_gan_set_arch_reaches_both_nets(space, shared):
    assert isinstance(shared, SharedGAN)
    genotype = space.sample(np.random.default_rng(0))
    shared.set_arch(genotype.choices)
    assert shared.generator.arch == genotype.choices[:21]
    assert shared.discriminator.arch == genotype.choices[21:]
    images = shared.generator(torch.randn(3, 64))
    assert images.shape == (3, 1, 16, 16)
    assert shared.discriminator(images).shape == (3, 1)


def test_each_net_takes_its_own_part_alone(space, shared):
    genotype = space.sample(np.random.default_rng(1))
    shared.generator.set_arch(genotype.choices[:21])
    shared.discriminator.set_arch(genotype.choices[21:])
    assert shared.discriminator.arch == genotype.choices[21:]


def test_architectures_share_weights_but_compute_differently(space, shared):
    rng = np.random.default_rng(2)
    z = torch.randn(2, 64)
    shared.generator.eval()
    n_params = sum(p.numel() for p in shared.parameters())
    outputs = []
    for _ in range(2):
        shared.set_arch(space.sample(rng).choices)
        outputs.append(shared.generator(z))
    assert not torch.allclose(outputs[0], outputs[1])
    assert sum(p.numel() for p in shared.parameters()) == n_params


def test_generator_parameters_never_include_the_discriminators(shared):
    d_ids = {id(p) for p in shared.discriminator.parameters()}
    assert not d_ids & {id(p) for p in shared.generator.parameters()}
    ema = copy.deepcopy(shared.generator)
    assert not d_ids & {id(p) for p in ema.parameters()}


def test_forward_before_set_arch_says_what_to_do(shared):
    with pytest.raises(SupernetUsageError, match="set_arch"):
        shared.generator(torch.randn(1, 64))


@pytest.mark.parametrize("choices, fragment", [((0,) * 30, "30 choices"), ((9,) * 49, "g1_up0=9")])
def test_bad_architectures_are_refused(shared, choices, fragment):
    with pytest.raises(UserError, match=fragment):
        shared.set_arch(choices)
