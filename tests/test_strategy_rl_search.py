"""The rl strategy end to end on a tiny real supernet: MLAS hand-over, budgets, dynamic reset, ranking, determinism."""
import pytest
import torch

from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype
from ganas_bench.registry import SPACES, STRATEGIES
from ganas_bench.contracts.space import SearchSpace, WeightSharing
from ganas_bench.search.budget import SearchBudget, stage_schedule
from ganas_bench.strategies.rl import RLStrategy
from ganas_bench.search.supernet import LossWindows, SharedTraining

from test_strategy_rl_fake_supernet import FakeContext, FakeSpace, search, smoke  # noqa: F401


def run_rl(space=None, **changes):
    ctx = FakeContext(smoke(**changes))
    space = space or FakeSpace()
    return search(RLStrategy, space, ctx), ctx, space


@pytest.fixture(scope="module")
def smoke_run():
    return run_rl()


def test_rl_is_registered_and_needs_weight_sharing():
    assert STRATEGIES.get("rl") is RLStrategy

    class NoSupernet(SearchSpace):
        name = "no_supernet"
        decisions = FakeSpace.decisions
        build_generator = build_discriminator = None

    with pytest.raises(UserError, match="needs a space with the WeightSharing capability"):
        RLStrategy(NoSupernet(), FakeContext(smoke()))


def test_rl_returns_mlas_m_full_architectures_ranked_best_first(smoke_run):
    result, ctx, space = smoke_run
    scores = [c.score for c in result.ranked]
    assert scores == sorted(scores, reverse=True) and 1 <= len(result.ranked) <= ctx.config.mlas_m
    assert sum(c.info["evaluations"] for c in result.ranked) == ctx.config.mlas_m
    for c in result.ranked:
        assert isinstance(c.genotype, Genotype) and space.validate(c.genotype)


def test_rl_spends_the_configured_budget(smoke_run):
    result, ctx, _ = smoke_run
    cfg = ctx.config
    assert result.info["d_steps"] == sum(cfg.stage_iters) * cfg.shared_steps
    assert ctx.proxy_calls == result.info["architectures_evaluated"] == SearchBudget.for_space(cfg, FakeSpace()).proxy_evaluations == 3 * 2 + 3 * 3
    assert [r["step"] for r in result.curve] == list(range(sum(cfg.stage_iters) * cfg.controller_steps))
    assert [(r["stage"], r["iteration"]) for r in result.curve] == [(0, 0), (0, 0), (1, 1), (1, 1), (2, 2), (2, 2)]
    assert set(result.curve[0]) >= {"step", "stage", "iteration", "reward", "baseline", "entropy"}
    assert result.info["resets"] == 0


def test_next_stage_draws_start_with_a_kept_prefix_and_train_at_the_stage_resolution(smoke_run):
    result, ctx, space = smoke_run
    kept = {row["stage"]: [tuple(p["choices"]) for p in row["kept"]] for row in ctx.logged("rl_prefixes")}
    assert sorted(kept) == [0, 1] and all(len(v) == smoke(mlas_k=2).options.mlas_k for v in kept.values())
    assert all(len(p) == 2 for p in kept[0]) and all(len(p) == 4 and p[:2] in kept[0] for p in kept[1])
    for row in ctx.logged("rl_controller"):
        if row["stage"] > 0:
            assert tuple(row["choices"][:2 * row["stage"]]) in kept[row["stage"] - 1]
    for stage, arch in space.built[0].generator.arch_history:  # every D step's and every score's architecture
        assert len(arch) == 2 * (stage + 1)
        if stage > 0:
            assert arch[:2 * stage] in kept[stage - 1]
    assert space.built[0].discriminator.seen_sizes == {4, 8, 16}
    for c in result.ranked:
        assert c.genotype.choices[:4] in kept[1]


def test_rl_is_deterministic_under_a_seed(smoke_run):
    first, _, _ = smoke_run
    again, _, _ = run_rl()
    assert [(c.genotype, c.score) for c in again.ranked] == [(c.genotype, c.score) for c in first.ranked]
    assert again.curve == first.curve


def test_one_stage_space_runs_every_iteration_in_its_stage():
    assert stage_schedule((1, 2, 3), 3) == (1, 2, 3) and stage_schedule((1, 2, 3), 1) == (6,)
    assert stage_schedule((1, 2, 3), 2) == (1, 5)
    result, ctx, space = run_rl(FakeSpace(n_stages=1), stage_iters=(1, 2), controller_steps=1)
    assert {r["stage"] for r in result.curve} == {0} and [r["iteration"] for r in result.curve] == [0, 1, 2]
    assert ctx.logged("rl_prefixes") == [] and all(len(c.genotype.choices) == 6 for c in result.ranked)
    assert space.built[0].discriminator.seen_sizes == {16}


def test_too_few_stage_iters_for_the_space_is_refused_before_any_work():
    ctx = FakeContext(smoke(stage_iters=(2, 2)))
    space = FakeSpace()
    with pytest.raises(UserError, match=r"stage_iters \[2, 2\] has 2 entries; the space has 3 stages"):
        search(RLStrategy, space, ctx)
    assert space.built == []


def test_loss_windows_collapse_on_constant_losses_once_the_g_window_is_full():
    w = LossWindows(size=3, threshold=1e-3)
    for i in range(3):
        assert not w.collapsed()
        w.push(1.0, 0.5 if i < 2 else None)
    assert not w.collapsed()  # G window has 2 of 3
    w.push(1.0, 0.5)
    assert w.collapsed()
    noisy = LossWindows(size=3, threshold=1e-3)
    for d, g in [(0.1, 1.0), (2.0, -1.0), (0.5, 0.3), (1.5, 2.0)]:
        noisy.push(d, g)
    assert not noisy.collapsed()
    off = LossWindows(size=0, threshold=1e9)
    for _ in range(5):
        off.push(1.0, 1.0)
    assert not off.collapsed()


def test_dynamic_reset_stops_shared_training_still_trains_the_controller_and_reinitialises_the_gan():
    # any window of 2 counts as collapsed: every iteration stops after 2 D steps
    result, ctx, space = run_rl(reset_window=2, reset_threshold=1e9, shared_steps=6)
    iterations = sum(ctx.config.stage_iters)
    assert result.info["resets"] == iterations and result.info["d_steps"] == 2 * iterations
    assert len(result.curve) == iterations * ctx.config.controller_steps
    assert len(space.built) == iterations + 1 and len(ctx.logged("dynamic_reset")) == iterations
    first, last = space.built[0].generator, space.built[-1].generator
    assert not torch.equal(first.l1.weight, last.l1.weight)
    assert last.stage == 2 and space.built[-1].discriminator.stage == 2


def test_shared_training_resets_on_a_diverged_loss_instead_of_failing():
    ctx = FakeContext(smoke())
    shared = SharedTraining(FakeSpace(), ctx)
    shared.enter_stage(2)
    with torch.no_grad():
        shared.shared.generator.to_rgb.weight.fill_(float("nan"))
    assert shared.train(3, lambda: (0, 0, 0, 0, 0, 0)) == "diverged"
    assert ctx.logged("dynamic_reset")[0]["reason"] == "diverged"


# Some sampled AdversarialNAS genotypes disconnect D from its input (every input edge of a node `none`); the G loss then
# has no grad and the trainer skips (and counts) that step instead of failing.
@pytest.mark.parametrize("space_name", [n for n, cls in SPACES.items() if issubclass(cls, WeightSharing)])
def test_rl_runs_on_every_registered_weight_sharing_space(space_name):
    space = SPACES.get(space_name)()
    ctx = FakeContext(smoke(shared_steps=2, controller_steps=1, mlas_m=2, mlas_k=1, proxy_samples=16))
    result = search(RLStrategy, space, ctx)
    assert result.info["d_steps"] == 2 * 3 and len(result.curve) == 3
    assert all(space.validate(c.genotype) for c in result.ranked)
