"""The random baseline: rl's shared-training budget at full resolution, uniform candidates, ranking, determinism."""
import pytest
import torch

from ganas_bench.registry import STRATEGIES
from ganas_bench.strategies.random_search import RandomStrategy

from test_strategy_rl_fake_supernet import FakeContext, FakeSpace, search, smoke  # noqa: F401


def run_random(space=None, **changes):
    ctx = FakeContext(smoke(**changes))
    space = space or FakeSpace()
    return search(RandomStrategy, space, ctx), ctx, space


@pytest.fixture(scope="module")
def shared_run():
    return run_random(random_candidates=5)


def test_random_is_registered():
    assert STRATEGIES.get("random") is RandomStrategy


def test_random_scores_random_candidates_ranked_best_first(shared_run):
    result, ctx, space = shared_run
    scores = [c.score for c in result.ranked]
    assert scores == sorted(scores, reverse=True)
    assert ctx.proxy_calls == result.info["architectures_evaluated"] == 5 == len(result.curve)
    assert sum(c.info["evaluations"] for c in result.ranked) == 5
    assert [r["step"] for r in result.curve] == list(range(5))
    assert sorted(r["score"] for r in result.curve) == sorted(s for c in result.ranked
                                                              for s in [c.score] * c.info["evaluations"])
    assert all(space.validate(c.genotype) for c in result.ranked)
    assert result.info["rl_proxy_evaluations"] == 3 * 2 + 3 * 3


def test_random_trains_the_supernet_for_rls_d_steps_at_full_resolution_on_uniform_architectures(shared_run):
    result, ctx, space = shared_run
    cfg = ctx.config
    assert result.info["mode"] == "shared" and result.info["d_steps"] == sum(cfg.stage_iters) * cfg.shared_steps
    net = space.built[0]
    assert net.discriminator.seen_sizes == {16}
    assert all(stage == 2 and len(arch) == 6 for stage, arch in net.generator.arch_history)
    trained = net.generator.arch_history[:result.info["d_steps"]]
    assert len(set(trained)) > 1


def test_random_is_deterministic_under_a_seed(shared_run):
    first, _, _ = shared_run
    again, _, _ = run_random(random_candidates=5)
    assert [(c.genotype, c.score) for c in again.ranked] == [(c.genotype, c.score) for c in first.ranked]
    assert again.curve == first.curve
    other, _, _ = run_random(random_candidates=5, seed=1)
    assert [c.genotype for c in other.ranked] != [c.genotype for c in first.ranked]


def test_from_scratch_variant_trains_each_candidate_standalone_before_scoring(monkeypatch):
    trainers = []
    original = FakeContext.make_trainer

    def spy(self, *args, **kwargs):
        trainers.append(original(self, *args, **kwargs))
        return trainers[-1]

    monkeypatch.setattr(FakeContext, "make_trainer", spy)
    result, ctx, space = run_random(random_candidates=3, random_scratch_steps=2)
    assert result.info["mode"] == "scratch" and space.built == []
    assert result.info["d_steps"] == 3 * 2 and len(trainers) == 3
    assert all(t.d_steps == 2 and t.g_steps == 2 and t.ema is None for t in trainers)  # n_critic 1 in smoke
    scores = [c.score for c in result.ranked]
    assert scores == sorted(scores, reverse=True) and ctx.evaluator.evaluations == 3


def test_a_from_scratch_candidates_score_depends_on_its_index_alone_not_on_what_ran_before():
    """Each candidate seeds itself from the run's seed and its index: the basis for running them in any order or
    process (executors), and it leaves the run's own RNG streams untouched."""
    from ganas_bench.search.scratch import score_from_scratch

    result, _, _ = run_random(random_candidates=3, random_scratch_steps=2)
    scores = {c.genotype: c.score for c in result.ranked}
    ctx = FakeContext(smoke(random_candidates=3, random_scratch_steps=2))
    last = list(scores)[-1]
    index = [FakeSpace().sample(ctx.rng) for _ in range(3)].index(last)  # random's own draws, in order
    before = torch.get_rng_state()
    alone, = score_from_scratch(ctx, FakeSpace(), [(index, last)], 2)
    assert alone.score == scores[last] and torch.equal(torch.get_rng_state(), before)



def test_random_runs_on_a_one_stage_space():
    result, ctx, space = run_random(FakeSpace(n_stages=1), random_candidates=2)
    assert space.built[0].discriminator.seen_sizes == {16} and len(result.curve) == 2


def test_random_by_default_scores_as_many_architectures_as_rl_evaluates():
    result, _, _ = run_random(FakeSpace(n_stages=1))
    assert result.info["architectures_evaluated"] == result.info["rl_proxy_evaluations"] > 0
