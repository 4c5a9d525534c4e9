"""The differentiable (AdversarialNAS) strategy on a small relaxed space defined here: which step moves which
parameters, the temperature schedule, the entropy curve, determinism and the derived genotype."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganas_bench.config import make_config
from ganas_bench.data import load_real_images
from ganas_bench.harness import RunHarness
from ganas_bench.search.loop import run_search
from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype
from ganas_bench.registry import STRATEGIES
from ganas_bench.contracts.space import Decision, Differentiable, RelaxedGAN, SearchSpace
from ganas_bench.strategies.differentiable import AdversarialArchSearch, DifferentiableStrategy
from ganas_bench.strategies.relaxation import mean_entropy, tau_schedule

G_OPS = ("zero", "identity", "conv1x1", "conv3x3")
D_OPS = ("conv1x1", "conv3x3")
N_G_EDGES = 3  # one per doubling: bottom width 2 -> 16 px
N_D_EDGES = 2


class MixedConv(nn.Module):
    """weight-sum of candidate ops on one edge; "zero" contributes nothing, "identity" passes x through."""

    def __init__(self, channels: int, ops):
        super().__init__()
        self.names = ops
        kernels = {"conv1x1": 1, "conv3x3": 3}
        self.convs = nn.ModuleDict({n: nn.Conv2d(channels, channels, kernels[n], padding=kernels[n] // 2)
                                    for n in ops if n in kernels})

    def forward(self, x, weights):
        out = 0
        for name, w in zip(self.names, weights):
            if name == "identity":
                out = out + w * x
            elif name != "zero":
                out = out + w * self.convs[name](x)
        return out


def mixing(alphas, tau, gumbel):
    return F.gumbel_softmax(alphas, tau=tau, dim=-1) if gumbel else F.softmax(alphas / tau, dim=-1)


def entropies(prefix, alphas):
    p = F.softmax(alphas.detach().double(), dim=-1)
    return {f"{prefix}{i}": float(-(row * row.log()).sum()) for i, row in enumerate(p)}


class FakeGenerator(nn.Module):
    """linear -> 3 x (2x upsample -> ReLU(mixed edge)) -> BN -> conv -> tanh; one-hot `fixed` weights if given."""

    def __init__(self, widths, fixed=None):
        super().__init__()
        c, self.c, self.bw = widths.gf_dim, widths.gf_dim, widths.bottom_width
        self.fc = nn.Linear(widths.latent_dim, c * self.bw ** 2)
        self.edges = nn.ModuleList(MixedConv(c, G_OPS) for _ in range(N_G_EDGES))
        self.head = nn.Sequential(nn.BatchNorm2d(c), nn.Conv2d(c, widths.channels, 3, padding=1), nn.Tanh())
        if fixed is None:
            self.alphas = nn.Parameter(1e-3 * torch.randn(N_G_EDGES, len(G_OPS)))
        else:
            self.register_buffer("fixed", F.one_hot(torch.tensor(fixed), len(G_OPS)).float())
        self.tau, self.gumbel = 1.0, False

    def forward(self, z):
        weights = self.fixed if hasattr(self, "fixed") else mixing(self.alphas, self.tau, self.gumbel)
        h = self.fc(z).view(-1, self.c, self.bw, self.bw)
        for edge, w in zip(self.edges, weights):
            h = F.relu(edge(F.interpolate(h, scale_factor=2.0), w))
        return self.head(h)


class FakeDiscriminator(nn.Module):
    """conv stem -> mixed conv edge -> avg pool -> mixed conv edge -> ReLU -> sum -> linear; relaxed when searched."""

    def __init__(self, widths, searched=True):
        super().__init__()
        c = widths.df_dim
        self.stem = nn.Conv2d(widths.channels, c, 3, padding=1)
        self.edges = nn.ModuleList(MixedConv(c, D_OPS) for _ in range(N_D_EDGES))
        self.fc = nn.Linear(c, 1)
        self.alphas = nn.Parameter(1e-3 * torch.randn(N_D_EDGES, len(D_OPS))) if searched else None
        self.tau, self.gumbel = 1.0, False

    def forward(self, x):
        weights = (mixing(self.alphas, self.tau, self.gumbel) if self.alphas is not None
                   else torch.ones(N_D_EDGES, len(D_OPS)) / len(D_OPS))
        h = F.relu(self.edges[0](F.relu(self.stem(x)), weights[0]))
        h = F.relu(self.edges[1](F.avg_pool2d(h, 2), weights[1]))
        return self.fc(h.sum(dim=(2, 3)))


class FakeRelaxedGAN(RelaxedGAN):
    def __init__(self, widths, search_d=True):
        super().__init__()
        self.generator = FakeGenerator(widths)
        self.discriminator = FakeDiscriminator(widths, searched=search_d)
        self.relaxations = []  # every set_relaxation call, to check the schedule the strategy applied

    def arch_parameters_g(self):
        return [self.generator.alphas]

    def arch_parameters_d(self):
        return [self.discriminator.alphas] if self.discriminator.alphas is not None else []

    def set_relaxation(self, tau, gumbel):
        self.relaxations.append((tau, gumbel))
        for net in (self.generator, self.discriminator):
            net.tau, net.gumbel = tau, gumbel

    def derive(self):
        return Genotype(FakeSpace.name, tuple(int(i) for i in self.generator.alphas.argmax(dim=-1)))

    def edge_entropies(self):
        out = entropies("g_edge", self.generator.alphas)
        if self.discriminator.alphas is not None:
            out.update(entropies("d_edge", self.discriminator.alphas))
        return out


class FakeSpace(SearchSpace, Differentiable):
    name = "fake_relaxed"

    def __init__(self, search_d=True):
        self.search_d = search_d
        self.built = []

    def decisions(self):
        return tuple(Decision(f"g_edge{i}", len(G_OPS), labels=G_OPS) for i in range(N_G_EDGES))

    def build_generator(self, genotype, widths):
        return FakeGenerator(widths, fixed=list(self.validate(genotype).choices))

    def build_discriminator(self, genotype, widths):
        return FakeDiscriminator(widths, searched=False)

    def build_relaxed(self, widths):
        self.built.append(FakeRelaxedGAN(widths, self.search_d))
        return self.built[-1]


class NotRelaxable(SearchSpace):
    name = "not_relaxable"
    decisions = FakeSpace.decisions
    build_generator = FakeSpace.build_generator
    build_discriminator = FakeSpace.build_discriminator


@pytest.fixture(scope="module")
def digits():
    return load_real_images("digits", image_size=16)


def smoke(**changes):
    return make_config(profile="smoke", overrides=changes, strategy="differentiable")


def context(cfg, real, events=None):
    log = (lambda event, **fields: events.append((event, fields))) if events is not None else None
    harness = RunHarness(cfg, torch.device("cpu"), real, log=log)
    harness.reseed(cfg.seed)  # as a run does before its search
    return harness


def search(cfg, real, space=None, events=None):
    space = space or FakeSpace()
    harness = context(cfg, real, events)
    return run_search(DifferentiableStrategy(space, harness, cfg.options), harness), space


def snapshot(params):
    return [p.detach().clone() for p in params]


def moved(before, params):
    return [not torch.equal(b, p) for b, p in zip(before, params)]


# ------------------------------------------------------------------------------------------------- steps and parameters
def test_each_step_moves_only_its_own_parameters(digits):
    cfg = smoke()
    ctx = context(cfg, digits)
    relaxed = FakeSpace().build_relaxed(ctx.widths())
    relaxed.set_relaxation(1.0, True)
    trainer = ctx.make_trainer(relaxed.generator, relaxed.discriminator, g_params=relaxed.weight_parameters_g(),
                               d_params=relaxed.weight_parameters_d(), ema=False)
    step = AdversarialArchSearch(relaxed, trainer, cfg, cfg.options)
    groups = {"alpha_g": relaxed.arch_parameters_g(), "alpha_d": relaxed.arch_parameters_d(),
              "weight_g": relaxed.weight_parameters_g(), "weight_d": relaxed.weight_parameters_d()}
    real = next(ctx.real_batches(16, 32))

    def check(action, expected_moving):
        before = {k: snapshot(v) for k, v in groups.items()}
        action()
        for name, params in groups.items():
            changed = moved(before[name], params)
            if name == expected_moving:
                assert all(changed), f"{name} did not move"
            else:
                assert not any(changed), f"{name} moved"

    check(lambda: step.d_arch_step(real[16:]), "alpha_d")
    check(lambda: trainer.d_step(real[:16]), "weight_d")
    check(step.g_arch_step, "alpha_g")
    check(trainer.g_step, "weight_g")
    assert (step.d_arch_steps, step.g_arch_steps, trainer.d_steps, trainer.g_steps) == (1, 1, 1, 1)


def test_architecture_steps_use_the_arch_optimiser_settings(digits):
    cfg = smoke(arch_lr=1e-2, arch_beta1=0.3, arch_beta2=0.99, arch_weight_decay=5e-3)
    ctx = context(cfg, digits)
    relaxed = FakeSpace().build_relaxed(ctx.widths())
    trainer = ctx.make_trainer(relaxed.generator, relaxed.discriminator, g_params=relaxed.weight_parameters_g(),
                               d_params=relaxed.weight_parameters_d(), ema=False)
    step = AdversarialArchSearch(relaxed, trainer, cfg, cfg.options)
    for opt, alphas in ((step.opt_g, relaxed.arch_parameters_g()), (step.opt_d, relaxed.arch_parameters_d())):
        group = opt.param_groups[0]
        assert (group["lr"], group["betas"], group["weight_decay"]) == (1e-2, (0.3, 0.99), 5e-3)
        assert [id(p) for p in group["params"]] == [id(p) for p in alphas]


def test_space_without_discriminator_alphas_skips_the_d_architecture_step(digits):
    result, space = search(smoke(), digits, FakeSpace(search_d=False))
    assert result.info["d_arch_steps"] == 0 and result.info["searched_discriminator"] is False
    assert result.info["g_arch_steps"] == result.info["g_steps"] > 0
    assert set(result.curve[-1]["entropies"]) == {f"g_edge{i}" for i in range(N_G_EDGES)}


# ---------------------------------------------------------------------------------------------- length and schedule
def test_iterations_steps_and_temperature_follow_the_epochs_of_real_data(digits):
    # 1,797 digits in batches of 512: 3 batches per epoch; 2 epochs = 6 iterations; n_critic 2 -> G at 0, 2, 4
    cfg = smoke(search_batch=512, search_epochs=2.0, n_critic=2, gumbel=True)
    result, space = search(cfg, digits)
    info = result.info
    assert (info["batches_per_epoch"], info["iterations"]) == (3, 6)
    assert (info["d_steps"], info["d_arch_steps"], info["g_steps"], info["g_arch_steps"]) == (6, 6, 3, 3)
    tau1, tau2 = (tau_schedule(e, cfg.options.tau_max, cfg.options.tau_min, cfg.options.tau_anneal_epochs) for e in (1, 2))
    # one call per epoch boundary while searching, then the deterministic relaxation for the score
    assert space.built[0].relaxations == [(tau1, True), (tau2, True), (tau2, False)]
    assert info["final_tau"] == tau2
    assert [row["tau"] for row in result.curve] == [tau1] * 4 + [tau2] * 3


def test_fractional_budget_rounds_to_whole_iterations(digits):
    result, _ = search(smoke(search_epochs=0.1, search_batch=32), digits)  # 0.1 x 56 batches
    assert result.info["iterations"] == 6 and result.info["d_steps"] == 6
    assert result.info["g_steps"] == 6  # smoke: n_critic 1


# ----------------------------------------------------------------------------------------------- curve and result
def test_entropy_trajectory_is_recorded_and_logged(digits):
    events = []
    result, space = search(smoke(search_epochs=1.0, search_batch=128, arch_lr=5e-2), digits, events=events)
    curve = result.curve
    total = result.info["iterations"]  # 1797 // 128 = 14 iterations: every one recorded
    assert [row["step"] for row in curve] == list(range(total + 1))
    assert curve[0]["d_loss"] is None and curve[-1]["d_loss"] is not None
    edges = {f"g_edge{i}" for i in range(N_G_EDGES)} | {f"d_edge{i}" for i in range(N_D_EDGES)}
    for row in curve:
        assert set(row["entropies"]) == edges
        assert row["entropy"] == pytest.approx(mean_entropy(row["entropies"]))
    assert curve[0]["entropy"] == pytest.approx(math.log(len(G_OPS)) * 3 / 5 + math.log(len(D_OPS)) * 2 / 5, abs=1e-4)
    assert curve[-1]["entropies"] != curve[0]["entropies"]  # the alphas moved
    assert curve[-1]["epoch"] == 1.0
    assert [fields for event, fields in events if event == "alphas"] == curve


def test_curve_keeps_about_fifty_points_on_a_long_search(digits):
    result, _ = search(smoke(search_epochs=1.0, search_batch=16, g_batch=8), digits)  # 1797 // 16 = 112 iterations
    steps = [row["step"] for row in result.curve]
    assert steps[0] == 0 and steps[-1] == 112
    assert 45 <= len(steps) <= 60
    assert len({b - a for a, b in zip(steps, steps[1:])}) == 1  # regular intervals (112 is a multiple of 2)


def test_derived_genotype_is_the_argmax_of_the_final_alphas_and_valid(digits):
    result, space = search(smoke(arch_lr=5e-2), digits)
    (best,) = result.ranked
    alphas = space.built[0].generator.alphas
    assert best.genotype == space.validate(Genotype("fake_relaxed", tuple(alphas.argmax(dim=-1).tolist())))
    assert math.isfinite(best.score) and 1.0 <= best.score <= 10.0  # IS over 10 digit classes
    assert best.info["final_entropy"] == result.curve[-1]["entropy"]


def test_score_is_the_noise_free_relaxed_generator_as_the_search_left_it(digits):
    cfg = smoke(gumbel=True)
    result, space = search(cfg, digits)
    relaxed = space.built[0]
    assert relaxed.relaxations[-1] == (result.info["final_tau"], False)
    again = context(cfg, digits).evaluator.proxy_score(relaxed.generator)  # re-seeded: any Gumbel draw would differ
    assert again == result.ranked[0].score


def test_same_seed_gives_the_same_search_and_another_seed_does_not(digits):
    cfg = smoke(gumbel=True)
    first, space_a = search(cfg, digits)
    second, space_b = search(cfg, digits)
    assert first.to_dict() == second.to_dict()
    assert torch.equal(space_a.built[0].generator.alphas, space_b.built[0].generator.alphas)
    other, _ = search(cfg.replace(seed=1), digits)
    assert other.curve[-1]["entropies"] != first.curve[-1]["entropies"]


# ------------------------------------------------------------------------------------------------- refusals
def test_registered_and_refuses_a_space_without_the_differentiable_capability(digits):
    assert STRATEGIES.get("differentiable") is DifferentiableStrategy
    with pytest.raises(UserError, match="Differentiable"):
        DifferentiableStrategy(NotRelaxable(), context(smoke(), digits), smoke().options)


def test_refuses_a_search_batch_that_cannot_be_halved():
    with pytest.raises(UserError, match="invalid search_batch=1; accepted: an integer >= 2"):
        smoke(search_batch=1)


# ------------------------------------------------------------------------------------------- the original's EMA reload
def test_ema_reload_pulls_weights_and_alphas_back_to_their_average_as_the_original_validation_does(digits):
    """`ema_reload` (AdversarialNAS's validation bug, off by default): after every `ema_reload_every`-th epoch the EMA of
    G's parameters, alphas included, replaces the live ones, and is never restored."""
    cfg = smoke(search_batch=512, search_epochs=3.0, ema_reload=True, ema_reload_every=1, arch_lr=5e-2)  # 3 x 3 its
    events = []
    result, space = search(cfg, digits, events=events)
    reloads = [fields for event, fields in events if event == "ema_reload"]
    assert [r["epoch"] for r in reloads] == [1, 2] and [r["step"] for r in reloads] == [3, 6]  # not after the last
    plain, _ = search(smoke(search_batch=512, search_epochs=3.0, arch_lr=5e-2), digits)
    assert result.curve[-1]["entropies"] != plain.curve[-1]["entropies"]  # the alphas were pulled back too
    assert result.info["ema_reload"] is True and plain.info["ema_reload"] is False


def test_ema_reload_resets_the_live_generator_to_the_exact_average(digits, monkeypatch):
    from ganas_bench.strategies import differentiable

    seen = {}
    original = differentiable.DifferentiableStrategy._end_epoch

    def spy(self, epoch):
        average = [a.clone() for a in self.gen_avg]
        original(self, epoch)
        params = list(self.relaxed.generator.parameters())
        assert {id(a) for a in self.relaxed.arch_parameters_g()} <= {id(p) for p in params}  # alphas are G's params
        seen[epoch] = all(torch.equal(p, a) for p, a in zip(params, average))

    monkeypatch.setattr(differentiable.DifferentiableStrategy, "_end_epoch", spy)
    search(smoke(search_batch=512, search_epochs=2.0, ema_reload=True, ema_reload_every=1), digits)
    assert seen == {0: True}
