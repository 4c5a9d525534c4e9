"""The differentiable relaxation of the AutoGAN space: derive(), gradients to alphas, one-hot = discrete, entropies."""
import math

import pytest
import torch

from ganas_bench.errors import UserError
from ganas_bench.registry import SPACES
from ganas_bench.spaces.autogan.encoding import decode
from ganas_bench.spaces.autogan.generator import AutoGANGenerator
from ganas_bench.contracts.space import Widths

TINY = Widths(latent_dim=16, bottom_width=2, gf_dim=8, df_dim=8, channels=1, image_size=16)
B = (1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 3)


@pytest.fixture(scope="module")
def space():
    return SPACES.get("autogan")()


def _point_alphas_at(relaxed, choices, strength=60.0):
    """Set every alpha so that softmax puts (numerically) all weight on `choices`."""
    a = relaxed.generator.alphas
    with torch.no_grad():
        for p in a.values():
            p.zero_()
        for i, cell in enumerate(decode(choices)):
            a[f"cell{i + 1}_conv"][("post", "pre").index(cell.conv)] = strength
            a[f"cell{i + 1}_norm"][("none", "bn", "in").index(cell.norm)] = strength
            a[f"cell{i + 1}_up"][("bilinear", "nearest", "deconv").index(cell.up)] = strength
            a[f"cell{i + 1}_shortcut"][int(cell.shortcut)] = strength
            for j, on in enumerate(cell.skips):
                a[f"cell{i + 1}_skip_from{j + 1}"][int(on)] = strength


def test_derive_returns_a_valid_genotype_of_the_space(space):
    torch.manual_seed(0)
    g = space.build_relaxed(TINY).derive()
    assert space.validate(g) is g and g.space == "autogan"


@pytest.mark.parametrize("choices", [B, (0, 2, 2, 0, 0, 1, 0, 1, 0, 1, 2, 0, 1, 2), (1, 1, 0, 1, 0, 0, 2, 0, 1, 0, 1, 1, 0, 1)])
def test_derive_takes_the_argmax_of_every_decision_and_rebuilds_the_skip_bits(space, choices):
    relaxed = space.build_relaxed(TINY)
    _point_alphas_at(relaxed, choices)
    assert relaxed.derive().choices == choices


def test_relaxed_net_with_one_hot_weights_computes_the_derived_architecture(space):
    torch.manual_seed(0)
    relaxed = space.build_relaxed(TINY)
    choices = (0, 1, 2, 1, 1, 2, 0, 1, 1, 0, 1, 1, 1, 2)
    _point_alphas_at(relaxed, choices)
    standalone = AutoGANGenerator(choices, TINY)
    missing, _ = standalone.load_state_dict(relaxed.generator.state_dict(), strict=False)
    assert missing == []
    z = torch.randn(3, TINY.latent_dim)
    torch.testing.assert_close(relaxed.generator.eval()(z), standalone.eval()(z))


def test_generator_loss_gradients_reach_every_architecture_parameter(space):
    torch.manual_seed(0)
    relaxed = space.build_relaxed(TINY)
    loss = -relaxed.discriminator(relaxed.generator(torch.randn(4, TINY.latent_dim))).mean()
    loss.backward()
    alphas = relaxed.arch_parameters_g()
    assert len(alphas) == 4 * 3 + 1 + 2  # per-cell conv/norm/up/shortcut plus one alpha per skip edge
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in alphas)


def test_discriminator_is_not_searched_and_weights_exclude_the_alphas(space):
    relaxed = space.build_relaxed(TINY)
    assert relaxed.arch_parameters_d() == []
    alpha_ids = {id(p) for p in relaxed.arch_parameters_g()}
    weights = relaxed.weight_parameters_g()
    assert weights and not any(id(p) in alpha_ids for p in weights)
    assert len(weights) + len(alpha_ids) == len(list(relaxed.generator.parameters()))


def test_edge_entropies_name_every_decision_and_start_near_uniform(space):
    torch.manual_seed(0)
    relaxed = space.build_relaxed(TINY)
    ent = relaxed.edge_entropies()
    assert list(ent) == [d.name for d in space.decisions()]
    for d in space.decisions():
        assert ent[d.name] == pytest.approx(math.log(d.n_choices), abs=1e-4)
    _point_alphas_at(relaxed, B)
    assert max(relaxed.edge_entropies().values()) < 1e-10


def test_gumbel_relaxation_samples_under_the_torch_seed(space):
    torch.manual_seed(0)
    relaxed = space.build_relaxed(TINY)
    relaxed.set_relaxation(0.5, gumbel=True)
    z = torch.randn(2, TINY.latent_dim)
    outs = []
    for _ in range(2):
        torch.manual_seed(1)
        outs.append(relaxed.generator.eval()(z))
    assert torch.equal(*outs)
    assert not torch.equal(outs[0], relaxed.generator(z))  # a fresh draw mixes differently


@pytest.mark.parametrize("tau", [0, -1.0, float("nan"), "1"])
def test_non_positive_temperature_is_refused(space, tau):
    with pytest.raises(UserError, match="tau"):
        space.build_relaxed(TINY).set_relaxation(tau, gumbel=False)
