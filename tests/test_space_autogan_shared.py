"""The AutoGAN weight-sharing supernet: same function as standalone nets, MLAS growth, sharing, the shortcut bug."""
import numpy as np
import pytest
import torch

from ganas_bench.errors import UserError
from ganas_bench.registry import SPACES
from ganas_bench.spaces.autogan.cells import CellMix
from ganas_bench.spaces.autogan.generator import AutoGANGenerator
from ganas_bench.contracts.space import SupernetUsageError, SharedGAN, Widths

TINY = Widths(latent_dim=16, bottom_width=2, gf_dim=8, df_dim=8, channels=1, image_size=16)
A = (1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 3)


@pytest.fixture(scope="module")
def space():
    return SPACES.get("autogan")()


def _genotypes(space):
    rng = np.random.default_rng(0)
    return [space.sample(rng).choices for _ in range(3)] + [g.choices for g in space.published().values()]


def test_supernet_computes_what_a_standalone_generator_with_its_weights_computes(space):
    torch.manual_seed(0)
    gan = space.build_shared(TINY)
    z = torch.randn(4, TINY.latent_dim)
    for choices in _genotypes(space):
        standalone = AutoGANGenerator(choices, TINY)
        missing, _ = standalone.load_state_dict(gan.generator.state_dict(), strict=False)
        assert missing == []  # every layer of the standalone net exists in the supernet under the same name
        gan.set_arch(choices)
        torch.testing.assert_close(gan.generator.eval()(z), standalone.eval()(z))


@pytest.mark.parametrize("stage, side", [(0, 4), (1, 8), (2, 16)])
def test_stage_s_runs_s_plus_1_cells_at_bottom_times_2_to_the_s_plus_1(space, stage, side):
    gan = space.build_shared(TINY)
    assert space.stage_resolution(stage, TINY) == side
    gan.set_stage(stage)
    gan.set_arch(A[: (4, 9, 14)[stage]])
    x = gan.generator(torch.randn(3, TINY.latent_dim))
    assert x.shape == (3, 1, side, side)
    assert gan.discriminator(x).shape == (3, 1)


def test_early_stages_share_the_one_to_rgb_and_ignore_later_cells(space):
    torch.manual_seed(0)
    gan = space.build_shared(TINY).eval()
    gan.set_stage(0)
    z = torch.randn(2, TINY.latent_dim)
    gan.set_arch(A)
    full = gan.generator(z)
    gan.set_arch(A[:4] + (0, 2, 2, 0, 0, 0, 2, 2, 0, 0))
    torch.testing.assert_close(gan.generator(z), full)
    gen = gan.generator
    h = gen.l1(z).view(2, 8, 2, 2)
    by_hand = gen.to_rgb(gen.cells[0](h, [], CellMix.of(gen.arch[0]))[1])
    torch.testing.assert_close(full, by_hand)


def test_different_architectures_train_different_weights(space):
    gan = space.build_shared(TINY)
    gan.set_arch((0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0))  # post-activation, BN, bilinear, nothing else
    gan.generator(torch.randn(4, TINY.latent_dim)).mean().backward()
    grads = {n for n, p in gan.generator.named_parameters() if p.grad is not None}
    assert "cells.0.conv1.post.conv.weight" in grads and "cells.0.conv1.post.bn.weight" in grads
    assert not any(".pre." in n or "c_sc" in n or "skip" in n or "deconv" in n for n in grads)


def test_shortcut_off_means_off_unless_the_original_search_bug_is_asked_for(space):
    off = (1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0)
    for bug, expect_grad in ((False, False), (True, True)):
        gan = SPACES.get("autogan")(shortcut_always_on=bug).build_shared(TINY)
        gan.set_arch(off)
        gan.generator(torch.randn(4, TINY.latent_dim)).mean().backward()
        assert (gan.generator.cells[0].c_sc.weight.grad is not None) is expect_grad


def test_discriminator_grows_with_the_stage(space):
    gan = space.build_shared(TINY)
    assert isinstance(gan, SharedGAN)
    gan.set_stage(1)
    assert gan.generator.stage == 1 and gan.discriminator.stage == 1


def test_supernet_is_deterministic_under_a_seed(space):
    outs = []
    for _ in range(2):
        torch.manual_seed(7)
        gan = space.build_shared(TINY)
        gan.set_arch(A)
        outs.append(gan.generator(torch.randn(2, TINY.latent_dim)))
    assert torch.equal(*outs)


def test_prefix_shorter_than_the_active_stages_is_refused(space):
    gan = space.build_shared(TINY)
    gan.set_arch(A[:9])
    with pytest.raises(SupernetUsageError, match="stage 2 runs 3 cells"):
        gan.generator(torch.randn(2, TINY.latent_dim))


@pytest.mark.parametrize("choices", [A[:5], A + (0,), A[:13] + (7,)])
def test_malformed_architecture_is_refused_by_set_arch(space, choices):
    with pytest.raises(UserError, match="autogan accepts a prefix|out of range"):
        space.build_shared(TINY).set_arch(choices)


def test_stage_the_space_does_not_have_is_refused_by_the_supernet(space):
    with pytest.raises(UserError, match="accepted: 0..2"):
        space.build_shared(TINY).set_stage(3)
