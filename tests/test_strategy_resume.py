"""A search interrupted after any of its checkpoints continues to exactly the result an uninterrupted search reaches."""
import io

import pytest
import torch

from ganas_bench.search.loop import run_search
from ganas_bench.strategies.random_search import RandomStrategy
from ganas_bench.strategies.rl import RLStrategy

from test_strategy_rl_fake_supernet import FakeContext, FakeSpace, search, smoke  # noqa: F401


class Interrupted(Exception):
    pass


class MemoryStore:
    """Keeps the last checkpoint as bytes that must load with weights_only=True; can interrupt after N saves."""

    where = "the in-memory checkpoint"

    def __init__(self, stop_after=None):
        self.blob = None
        self.saves = 0
        self.stop_after = stop_after

    def save(self, payload):
        buf = io.BytesIO()
        torch.save({"kind": "search", **payload}, buf)
        self.blob = buf.getvalue()
        self.saves += 1
        if self.stop_after is not None and self.saves == self.stop_after:
            raise Interrupted

    def load(self):
        if self.blob is None:
            return None
        return torch.load(io.BytesIO(self.blob), weights_only=True)


def run(strategy_cls, cfg, store=None):
    return search(strategy_cls, FakeSpace(), FakeContext(cfg), store)


def summary(result):
    return [(c.genotype.choices, c.score) for c in result.ranked], result.curve, {
        k: v for k, v in result.info.items() if k not in ("search_wall_s", "useful_s", "useful_fraction")}


CASES = {
    "rl": (RLStrategy, dict(stage_iters=(1, 2, 1), shared_steps=3, controller_steps=2, mlas_m=3, mlas_k=2,
                            proxy_samples=16)),
    "random-shared": (RandomStrategy, dict(stage_iters=(1, 1, 1), shared_steps=3, random_candidates=4,
                                           checkpoint_every=2, proxy_samples=16)),
    "random-scratch": (RandomStrategy, dict(random_candidates=3, random_scratch_steps=2, proxy_samples=16)),
}


@pytest.mark.parametrize("case", CASES)
def test_search_resumed_after_each_checkpoint_matches_the_uninterrupted_search(case):
    strategy_cls, changes = CASES[case]
    cfg = smoke(**changes)
    counting = MemoryStore()
    reference = summary(run(strategy_cls, cfg, counting))
    assert counting.saves >= 2, "the search should checkpoint more than once"
    for stop_after in range(1, counting.saves):
        store = MemoryStore(stop_after)
        with pytest.raises(Interrupted):
            run(strategy_cls, cfg, store)
        store.stop_after = None
        assert summary(run(strategy_cls, cfg, store)) == reference, f"resumed after checkpoint {stop_after}"


def test_differentiable_search_resumed_after_each_checkpoint_matches_the_uninterrupted_search():
    from ganas_bench.data import load_real_images
    from ganas_bench.strategies.differentiable import DifferentiableStrategy

    import test_strategy_differentiable_search as fakes

    real = load_real_images("digits", image_size=16)
    cfg = fakes.smoke(search_epochs=0.2, checkpoint_every=3)

    def run_differentiable(store):
        harness = fakes.context(cfg, real)
        return summary(run_search(DifferentiableStrategy(fakes.FakeSpace(), harness, cfg.options), harness, store))

    counting = MemoryStore()
    reference = run_differentiable(counting)
    assert counting.saves >= 2
    for stop_after in range(1, counting.saves + 1):
        store = MemoryStore(stop_after)
        with pytest.raises(Interrupted):
            run_differentiable(store)
        store.stop_after = None
        assert run_differentiable(store) == reference, f"resumed after checkpoint {stop_after}"
