"""A tiny real weight-sharing space and search context for the rl and random strategy tests (and checks of the fake).

`FakeSpace` is a small but real supernet: three 2x cells, each choosing one of k convs and one of two activations; its
MLAS stages grow the generator cell by cell, and both nets refuse what a wrong strategy would hand them (a prefix that
does not cover the active cells, real images at the wrong resolution). `FakeContext` is the run harness with the IS
proxy replaced by a cheap deterministic score of the generated images (the real metric needs the digits backbone), and
`search(strategy_cls, space, ctx)` runs a strategy through the real search loop. The other strategy tests import these.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganas_bench.commands import with_strategy
from ganas_bench.config import make_config, option_owner
from ganas_bench.contracts.space import Decision, SearchSpace, SharedGAN, WeightSharing
from ganas_bench.data import RealImages
from ganas_bench.harness import RunHarness
from ganas_bench.search.budget import SearchBudget
from ganas_bench.search.evaluator import CandidateEvaluator
from ganas_bench.search.loop import run_search

N_CELLS = 3
OP_CHOICES = (3, 2, 2)


def active_cells(stage: int, n_stages: int) -> int:
    return N_CELLS if stage == n_stages - 1 else stage + 1


class FakeGenerator(nn.Module):
    def __init__(self, widths, n_stages):
        super().__init__()
        self.widths, self.n_stages = widths, n_stages
        c = widths.gf_dim
        self.l1 = nn.Linear(widths.latent_dim, widths.bottom_width**2 * c)
        self.ops = nn.ModuleList(nn.ModuleList(nn.Conv2d(c, c, 3, padding=1) for _ in range(k)) for k in OP_CHOICES)
        self.to_rgb = nn.Conv2d(c, widths.channels, 1)
        self.arch, self.stage = (), n_stages - 1
        self.arch_history = []

    def set_arch(self, choices):
        self.arch = tuple(choices)
        self.arch_history.append((self.stage, self.arch))

    def set_stage(self, stage):
        self.stage = stage

    def forward(self, z):
        n = active_cells(self.stage, self.n_stages)
        if len(self.arch) < 2 * n:
            raise ValueError(f"stage {self.stage} runs {n} cells; arch {self.arch} does not cover them")
        w = self.widths
        h = self.l1(z).view(-1, w.gf_dim, w.bottom_width, w.bottom_width)
        for i in range(n):
            op, act = self.arch[2 * i], self.arch[2 * i + 1]
            h = self.ops[i][op](F.interpolate(h, scale_factor=2, mode="nearest"))
            h = F.relu(h) if act == 0 else F.leaky_relu(h, 0.2)
        return torch.tanh(self.to_rgb(h))


class FakeDiscriminator(nn.Module):
    def __init__(self, widths, n_stages):
        super().__init__()
        self.widths, self.n_stages, self.stage = widths, n_stages, n_stages - 1
        self.conv1 = nn.Conv2d(widths.channels, widths.df_dim, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(widths.df_dim, widths.df_dim, 3, padding=1)
        self.fc = nn.Linear(widths.df_dim, 1)
        self.seen_sizes = set()

    def set_stage(self, stage):
        self.stage = stage

    def forward(self, x):
        expected = self.widths.bottom_width * 2 ** active_cells(self.stage, self.n_stages)
        if x.shape[-1] != expected:
            raise ValueError(f"stage {self.stage} expects {expected} px images, got {x.shape[-1]}")
        self.seen_sizes.add(x.shape[-1])
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        return self.fc(h.sum(dim=(2, 3)))


class FakeSpace(SearchSpace, WeightSharing):
    name = "fake_supernet"

    def __init__(self, n_stages=3):
        self._n = n_stages
        self.built = []

    def decisions(self):
        out = []
        for i, k in enumerate(OP_CHOICES):
            stage = min(i, self._n - 1)
            out += [Decision(f"cell{i}.op", k, stage), Decision(f"cell{i}.act", 2, stage)]
        return tuple(out)

    def build_generator(self, genotype, widths):
        g = FakeGenerator(widths, self._n)
        g.set_arch(self.validate(genotype).choices)
        return g

    def build_discriminator(self, genotype, widths):
        return FakeDiscriminator(widths, self._n)

    def build_shared(self, widths):
        shared = SharedGAN(FakeGenerator(widths, self._n), FakeDiscriminator(widths, self._n))
        self.built.append(shared)
        return shared

    def stage_resolution(self, stage, widths):
        return widths.bottom_width * 2 ** active_cells(stage, self._n)


class FakeEvaluator(CandidateEvaluator):
    """The real evaluator (failure handling, counting) with a cheap proxy: 1 + std of n generated images."""

    def proxy_score(self, generator, n=None, check=True):
        self.harness.proxy_calls += 1
        cfg = self.harness.config
        was_training = generator.training
        generator.eval()
        with torch.no_grad():
            x = generator(torch.randn(n or cfg.proxy_samples, cfg.latent_dim))
        generator.train(was_training)
        return 1.0 + float(x.std())


class FakeContext(RunHarness):
    """The run harness on 96 random 'real' images, with `FakeEvaluator` and an event list."""

    def __init__(self, cfg):
        images = torch.randint(0, 256, (96, 1, cfg.image_size, cfg.image_size), dtype=torch.uint8,
                               generator=torch.Generator().manual_seed(7))
        self.events = []
        super().__init__(cfg, torch.device("cpu"), RealImages(images, "digits", "train"),
                         log=lambda event, **fields: self.events.append((event, fields)))
        self.reseed(cfg.seed)
        self.proxy_calls = 0
        self._evaluator = FakeEvaluator(self)

    @classmethod
    def for_job(cls, cfg, real, log=None):
        """A fake harness for one job (a from-scratch candidate): its own events, FakeEvaluator and counters."""
        ctx = cls(cfg)
        ctx.log_to(log)
        return ctx

    def logged(self, event):
        return [fields for name, fields in self.events if name == event]


def search(strategy_cls, space, ctx, store=None):
    """`strategy_cls` on `space` through the real search loop, with the strategy's options from ctx.config."""
    cfg = with_strategy(ctx.config, strategy_cls.name)
    ctx.budget = SearchBudget.for_space(cfg, space)
    return run_search(strategy_cls(space, ctx, cfg.options), ctx, store)


def smoke(**changes):
    """The smoke profile with `changes`; strategy options among them pick the strategy whose config this is."""
    owners = {option_owner(k) for k in changes} - {None}
    return make_config(profile="smoke", overrides=changes, strategy=owners.pop() if owners else None)


# ----------------------------------------------------------------------------------------------- the fake is real
@pytest.fixture
def widths():
    return FakeContext(smoke()).widths(search=True)


def test_fake_supernet_output_depends_on_the_architecture_set(widths):
    torch.manual_seed(0)
    g = FakeSpace().build_shared(widths).generator
    z = torch.randn(2, widths.latent_dim)
    g.set_arch((0, 0, 0, 0, 0, 0))
    a = g(z)
    g.set_arch((2, 1, 0, 0, 0, 0))
    assert a.shape == (2, 1, 16, 16) and not torch.allclose(a, g(z))


def test_fake_supernet_grows_by_stage_and_refuses_a_prefix_short_of_the_active_cells(widths):
    space = FakeSpace()
    shared = space.build_shared(widths)
    shared.set_stage(1)
    shared.set_arch((0, 1, 1, 0))
    x = shared.generator(torch.randn(2, widths.latent_dim))
    assert x.shape[-1] == space.stage_resolution(1, widths) == 8
    shared.set_arch((0, 1))
    with pytest.raises(ValueError, match="does not cover"):
        shared.generator(torch.randn(2, widths.latent_dim))
    with pytest.raises(ValueError, match="expects 8 px"):
        shared.discriminator(torch.zeros(2, 1, 16, 16))


def test_one_stage_fake_puts_every_decision_in_stage_zero():
    space = FakeSpace(n_stages=1)
    assert space.n_stages == 1 and {d.stage for d in space.decisions()} == {0}
    assert np.prod([d.n_choices for d in space.decisions()]) == space.size() == 3 * 2 * 2 * 2 * 2 * 2
