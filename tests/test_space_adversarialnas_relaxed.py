"""The relaxed adversarialnas supernet: alphas, relaxations, gradients, derivation and the two named original bugs."""
import math

import pytest
import torch

from ganas_bench.errors import UserError
from ganas_bench.registry import SPACES
from ganas_bench.spaces.adversarialnas import AdversarialNASSpace
from ganas_bench.spaces.adversarialnas.derive import derive_discriminator, derive_generator
from ganas_bench.contracts.space import RelaxedGAN, Widths

TINY = Widths(latent_dim=64, bottom_width=2, gf_dim=8, df_dim=8, channels=1, image_size=16)


@pytest.fixture(scope="module")
def relaxed():
    torch.manual_seed(0)
    return SPACES.get("adversarialnas")().build_relaxed(TINY)


def test_alphas_have_the_originals_shapes_and_small_init(relaxed):
    assert isinstance(relaxed, RelaxedGAN)
    g_normal, g_up = relaxed.arch_parameters_g()
    d_normal, d_down = relaxed.arch_parameters_d()
    assert g_normal.shape == (3, 5, 7) and g_up.shape == (3, 2, 3)
    assert d_normal.shape == (4, 5, 7) and d_down.shape == (4, 2, 6)
    assert 0 < g_normal.abs().max() < 0.01
    weight_ids = {id(p) for p in relaxed.weight_parameters_g() + relaxed.weight_parameters_d()}
    assert not weight_ids & {id(p) for p in (g_normal, g_up, d_normal, d_down)}


@pytest.mark.parametrize("gumbel", [False, True])
def test_forward_shapes_under_both_relaxations(relaxed, gumbel):
    relaxed.set_relaxation(tau=2.0, gumbel=gumbel)
    images = relaxed.generator(torch.randn(4, 64))
    assert images.shape == (4, 1, 16, 16)
    assert relaxed.discriminator(images).shape == (4, 1)


def test_gumbel_draws_fresh_noise_and_softmax_does_not(relaxed):
    z = torch.randn(2, 64)
    relaxed.generator.eval()
    try:
        relaxed.set_relaxation(tau=1.0, gumbel=False)
        assert torch.equal(relaxed.generator(z), relaxed.generator(z))
        relaxed.set_relaxation(tau=1.0, gumbel=True)
        assert not torch.equal(relaxed.generator(z), relaxed.generator(z))
    finally:
        relaxed.generator.train()


@pytest.mark.parametrize("gumbel", [False, True])
def test_gradients_reach_every_alpha(relaxed, gumbel):
    relaxed.set_relaxation(tau=1.0, gumbel=gumbel)
    relaxed.zero_grad()
    scores = relaxed.discriminator(relaxed.generator(torch.randn(4, 64)))
    scores.mean().backward()
    for alpha in relaxed.arch_parameters_g() + relaxed.arch_parameters_d():
        assert alpha.grad is not None and alpha.grad.abs().sum() > 0


def _dead_slot_grad(dead_alphas_bug: bool) -> torch.Tensor:
    torch.manual_seed(1)
    space = AdversarialNASSpace(d_first_cell_dead_alphas=dead_alphas_bug)
    relaxed = space.build_relaxed(TINY)
    relaxed.discriminator(torch.randn(3, 1, 16, 16)).mean().backward()
    return relaxed.discriminator.alphas_normal.grad[0, :3, 5:]


def test_dead_first_cell_alpha_slots_get_no_gradient_unless_the_original_bug_is_on():
    assert torch.count_nonzero(_dead_slot_grad(False)) == 0
    assert torch.count_nonzero(_dead_slot_grad(True)) > 0


def test_dead_alpha_bug_changes_the_discriminators_output():
    x = torch.randn(2, 1, 16, 16)
    outputs = []
    for bug in (False, True):
        torch.manual_seed(2)
        outputs.append(AdversarialNASSpace(d_first_cell_dead_alphas=bug).build_relaxed(TINY).discriminator(x))
    assert not torch.allclose(outputs[0], outputs[1])


def test_derive_gives_a_valid_genotype_with_no_starved_node(relaxed):
    space = SPACES.get("adversarialnas")()
    with torch.no_grad():
        relaxed.generator.alphas_normal[..., 0] += 5.0  # `none` wins everywhere before repair
        relaxed.discriminator.alphas_normal[..., 0] += 5.0
    try:
        genotype = space.validate(relaxed.derive())
    finally:
        with torch.no_grad():
            relaxed.generator.alphas_normal[..., 0] -= 5.0
            relaxed.discriminator.alphas_normal[..., 0] -= 5.0
    ops = [d.labels[v] for d, v in zip(space.decisions(), genotype.choices)]
    for cell in range(3):
        c = ops[7 * cell + 2: 7 * cell + 7]
        assert c[0:2] != ["none", "none"] and c[2:5] != ["none", "none", "none"]
    for cell in range(4):
        c = ops[21 + 7 * cell: 21 + 7 * cell + 5]
        assert [c[1], c[3]] != ["none", "none"] and [c[2], c[4]] != ["none", "none"]
        assert c[0] != "none" or c[3] == c[4] == "none"


def test_repair_gives_the_least_none_edge_its_best_other_op():
    alphas_up = torch.zeros(3, 2, 3)
    alphas_normal = torch.zeros(3, 5, 7)
    alphas_normal[0, 0] = torch.tensor([4.0, 0, 0, 0, 0, 0, 0])  # c0: none strongly
    alphas_normal[0, 1] = torch.tensor([3.0, 0, 0, 0, 0, 2.0, 0])  # c1: none, but less so; best other: dil_conv_3x3
    alphas_normal[:, 2:, 3] = 1.0  # node3's edges pick conv_3x3
    alphas_normal[1:, :2, 3] = 1.0
    g = derive_generator(alphas_normal, alphas_up)
    assert g[2:7] == (0, 5, 3, 3, 3)


def test_discriminator_repair_revives_node0_when_it_is_read():
    alphas_down = torch.zeros(4, 2, 6)
    alphas_normal = torch.zeros(4, 5, 7)
    alphas_normal[:, :, 3] = 1.0
    alphas_normal[1, 0] = torch.tensor([5.0, 0, 0, 0, 4.0, 0, 0])  # c0 `none`, but c3 reads node0
    d = derive_discriminator(alphas_normal, alphas_down)
    assert d[7:12] == (4, 3, 3, 3, 3)


def test_axis_bug_reproduces_the_originals_wrong_softmax_axis():
    alphas_down = torch.zeros(4, 2, 6)
    alphas_normal = torch.zeros(4, 5, 7)
    alphas_normal[1, 1:, 2] = 5.0  # the other edges of cell 2 like conv_1x1 much more
    alphas_normal[1, 0, 2] = 1.0  # edge c0 prefers conv_1x1 over its other ops
    fixed = derive_discriminator(alphas_normal, alphas_down)
    buggy = derive_discriminator(alphas_normal, alphas_down, axis_bug=True)
    assert fixed[7] == 2 and buggy[7] != 2


def test_axis_bug_option_reaches_derive_through_the_space():
    derived = []
    for bug in (False, True):
        torch.manual_seed(4)
        relaxed = AdversarialNASSpace(d_derive_axis_bug=bug).build_relaxed(TINY)
        with torch.no_grad():
            relaxed.discriminator.alphas_normal.normal_(0, 2)
        derived.append(relaxed.derive())
    assert derived[0].choices[:21] == derived[1].choices[:21]
    assert derived[0].choices[21:] != derived[1].choices[21:]


def test_edge_entropies_name_every_decision_and_start_near_uniform(relaxed):
    entropies = relaxed.edge_entropies()
    space = SPACES.get("adversarialnas")()
    assert list(entropies) == [d.name for d in space.decisions()]
    for d in space.decisions():
        assert entropies[d.name] == pytest.approx(math.log(d.n_choices), abs=1e-3)


@pytest.mark.parametrize("tau", [0.0, -1.0, float("nan"), "hot"])
def test_bad_temperature_is_refused(relaxed, tau):
    with pytest.raises(UserError, match="tau"):
        relaxed.set_relaxation(tau, gumbel=True)
