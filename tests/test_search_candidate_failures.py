"""One failing candidate never stops a search: NaN/Inf or collapsed output and out-of-memory are recorded with their reason
in the events, counted, and skipped; anything else still propagates (a bug must not be swallowed as a "failure")."""
import pytest
import torch
from torch import nn

from ganas_bench.search.candidates import COLLAPSE_STD, CandidateFailed, check_output, failure_reason, is_out_of_memory
from ganas_bench.search.evaluator import CandidateEvaluator
from ganas_bench.training.meter import PROXY
from ganas_bench.strategies.random_search import RandomStrategy
from ganas_bench.strategies.rl import RLStrategy
from ganas_bench.training import DivergedError, GANTrainer

from call_faults import raise_on_call
from test_strategy_rl_fake_supernet import FakeContext, FakeEvaluator, FakeSpace, search, smoke

CPU_OOM = "DefaultCPUAllocator: can't allocate memory: you tried to allocate 68719476736 bytes."


class Constant(nn.Module):
    def __init__(self, value):
        super().__init__()
        self.value = value
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, z):
        return torch.full((z.shape[0], 1, 8, 8), self.value) + 0 * self.w


class Noise(nn.Module):
    def forward(self, z):
        return torch.tanh(z[:, :16, None].expand(-1, 16, 16).unsqueeze(1))


class FailingEvaluator(FakeEvaluator):
    """The fake proxy, raising `failures[k]` on its k-th call (1-based)."""

    def __init__(self, harness, failures):
        super().__init__(harness)
        self.failures = failures

    def proxy_score(self, generator, n=None, check=True):
        score = super().proxy_score(generator, n, check)
        failure = self.failures.get(self.harness.proxy_calls)
        if failure is not None:
            raise failure
        return score


def FailingContext(cfg, failures):
    ctx = FakeContext(cfg)
    ctx._evaluator = FailingEvaluator(ctx, failures)
    return ctx


def real_proxy(ctx, generator):
    """The harness's real proxy score (digits backbone), bypassing the fake."""
    return CandidateEvaluator.proxy_score(ctx.evaluator, generator)


# ------------------------------------------------------------------------------------------------------ the rules
def test_out_of_memory_is_recognised_on_every_device_and_nothing_else_is():
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError(CPU_OOM))
    assert is_out_of_memory(RuntimeError("MPS backend out of memory (MPS allocated: 9 GB)"))
    assert not is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"))
    assert not is_out_of_memory(ValueError("out of memory"))  # only allocator errors, not any text
    assert failure_reason(RuntimeError(CPU_OOM)).startswith("out of memory: DefaultCPUAllocator")
    assert failure_reason(DivergedError("D loss is nan")) == "diverged: D loss is nan"
    assert failure_reason(KeyError("x")) is None


def test_output_check_fails_nan_and_collapsed_generators_and_passes_a_varied_one():
    z_dim = 16
    with pytest.raises(CandidateFailed, match="NaN/Inf"):
        check_output(Constant(float("nan")), z_dim, torch.device("cpu"))
    with pytest.raises(CandidateFailed, match="collapsed"):
        check_output(Constant(0.3), z_dim, torch.device("cpu"))
    check_output(Noise(), z_dim, torch.device("cpu"))
    assert COLLAPSE_STD == pytest.approx(0.5 * 2 / 255)  # half of one grey level in [-1, 1]


def test_the_harness_proxy_refuses_a_collapsed_generator_before_computing_a_score():
    ctx = FakeContext(smoke())
    with pytest.raises(CandidateFailed, match="collapsed"):
        real_proxy(ctx, Constant(0.0))
    assert ctx.meter.seconds[PROXY] > 0  # the time is still accounted


def test_a_candidate_failure_is_logged_counted_and_swallowed_but_a_bug_propagates():
    ctx = FakeContext(smoke())
    with ctx.evaluator.attempt((1, 0, 2), "score") as attempt:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    assert attempt.failed and attempt.reason.startswith("out of memory")
    assert ctx.evaluator.failed == 1
    assert ctx.logged("candidate_failed") == [{"choices": [1, 0, 2], "phase": "score", "reason": attempt.reason}]
    with ctx.evaluator.attempt((0,), "score") as attempt:
        pass
    assert not attempt.failed and ctx.evaluator.failed == 1
    with pytest.raises(KeyError):
        with ctx.evaluator.attempt((0,), "score"):
            raise KeyError("a bug")
    assert ctx.evaluator.failed == 1


# ----------------------------------------------------------------------------------------------- inside searches
def test_rl_goes_on_past_failed_candidates_and_gives_them_no_reward():
    cfg = smoke()
    clean = search(RLStrategy, FakeSpace(), FakeContext(cfg))
    # smoke: 2 controller steps per stage, then 3 stage-end draws: calls 2 and 6 are controller steps of stages 0, 1
    ctx = FailingContext(cfg, {2: torch.OutOfMemoryError("CUDA out of memory"),
                               6: CandidateFailed("generator output has NaN/Inf values")})
    result = search(RLStrategy, FakeSpace(), ctx)
    failed = ctx.logged("candidate_failed")
    assert [f["reason"].split(":")[0] for f in failed] == ["out of memory", "generator output has NaN/Inf values"]
    assert all(f["phase"] == "score" for f in failed)
    assert len(result.curve) == len(clean.curve) - 2  # two draws without a reward row
    assert ctx.evaluator.failed == 2 and result.ranked


def test_rl_stage_end_scoring_drops_failures_and_refuses_when_nothing_is_left():
    cfg = smoke()
    first_stage_end = sum(cfg.stage_iters[:1]) * cfg.controller_steps  # proxy calls before the first stage-end draw
    ctx = FailingContext(cfg, {first_stage_end + 1: torch.OutOfMemoryError("CUDA out of memory")})
    search(RLStrategy, FakeSpace(), ctx)
    assert len(ctx.logged("rl_prefixes")[0]["kept"]) == min(smoke(mlas_k=2).options.mlas_k, cfg.mlas_m - 1)
    every = {first_stage_end + k: CandidateFailed("collapsed: same image") for k in range(1, cfg.mlas_m + 1)}
    with pytest.raises(RuntimeError, match=f"all {cfg.mlas_m} architectures drawn at the end of stage 0 failed"):
        search(RLStrategy, FakeSpace(), FailingContext(cfg, every))


def test_random_shared_leaves_failed_candidates_out_of_the_ranking():
    ctx = FailingContext(smoke(random_candidates=5), {1: CandidateFailed("collapsed: same image"),
                                                       4: RuntimeError(CPU_OOM)})
    result = search(RandomStrategy, FakeSpace(), ctx)
    assert result.info["architectures_evaluated"] == 5 and sum(c.info["evaluations"] for c in result.ranked) == 3
    assert [f["reason"][:9] for f in ctx.logged("candidate_failed")] == ["collapsed", "out of me"]


def test_rl_can_score_a_collapsed_candidate_as_the_original_does_while_nan_stays_a_failure():
    cfg = smoke()
    collapsed = {2: CandidateFailed("collapsed: same image", collapsed=True)}
    skipped = search(RLStrategy, FakeSpace(), FailingContext(cfg, collapsed))
    ctx = FailingContext(smoke(score_collapsed=True), dict(collapsed))
    scored = search(RLStrategy, FakeSpace(), ctx)
    assert len(scored.curve) == len(skipped.curve) + 1  # the collapsed draw got its reward row
    assert ctx.evaluator.failed == 0 and len(ctx.logged("candidate_collapsed_scored")) == 1
    ctx = FailingContext(smoke(score_collapsed=True), {2: CandidateFailed("generator output has NaN/Inf values")})
    search(RLStrategy, FakeSpace(), ctx)
    assert ctx.evaluator.failed == 1


def test_random_from_scratch_skips_a_candidate_that_runs_out_of_memory_in_training(monkeypatch):
    # the 3rd D step is the 2nd candidate's first (2 steps per candidate)
    raise_on_call(monkeypatch, GANTrainer, "d_step", 3, RuntimeError(CPU_OOM))
    ctx = FakeContext(smoke(random_candidates=3, random_scratch_steps=2))
    result = search(RandomStrategy, FakeSpace(), ctx)
    assert ctx.evaluator.failed == 1 and len(result.ranked) == 2 and ctx.evaluator.evaluations == 2
    (failed,) = ctx.logged("candidate_failed")
    assert failed["phase"] == "scratch" and failed["reason"].startswith("out of memory")


def test_shared_training_skips_an_architecture_step_that_runs_out_of_memory(monkeypatch):
    raise_on_call(monkeypatch, GANTrainer, "d_step", 2, torch.OutOfMemoryError("CUDA out of memory"))
    cfg = smoke(random_candidates=2)
    ctx = FakeContext(cfg)
    result = search(RandomStrategy, FakeSpace(), ctx)
    assert result.info["d_steps"] == sum(cfg.stage_iters) * cfg.shared_steps - 1
    (failed,) = ctx.logged("candidate_failed")
    assert failed["phase"] == "shared_training" and len(failed["choices"]) == 6
    assert len(result.ranked) == 2


def test_proxy_z_fixed_repeats_the_score_and_fresh_draws_a_new_z_from_the_seeded_rng():
    """The real proxy (digits backbone, few samples) on one generator: fixed z gives one number; fresh z (AutoGAN's
    behaviour) differs per call but repeats under the same seed."""
    def scores(proxy_z, seed=0):
        ctx = FakeContext(smoke(proxy_z=proxy_z, proxy_samples=40, seed=seed))
        torch.manual_seed(0)
        generator = Noise()
        return [real_proxy(ctx, generator) for _ in range(2)]

    fixed = scores("fixed")
    assert fixed[0] == fixed[1]
    fresh = scores("fresh")
    assert fresh[0] != fresh[1] and scores("fresh") == fresh
    assert scores("fresh", seed=1) != fresh
