"""Memory stays flat over candidates: nothing of a scored candidate (its G, D, optimiser states) outlives it, so a
search of two thousand from-scratch candidates (cifar10 defaults) needs the memory of one. Measured as the bytes of
every CPU tensor still reachable after a search; the control keeps every trainer, as earlier versions did, and shows
that the measurement sees the leak."""
import gc
import warnings

import numpy as np
import torch

from ganas_bench.strategies.random_search import RandomStrategy

from test_strategy_rl_fake_supernet import FakeContext, FakeSpace, search, smoke


def live_tensor_bytes() -> int:
    gc.collect()
    storages = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # is_tensor on some torch module attributes warns of deprecations
        for obj in gc.get_objects():
            if torch.is_tensor(obj) and obj.device.type == "cpu":
                storage = obj.untyped_storage()
                storages[storage.data_ptr()] = storage.nbytes()
    return sum(storages.values())


def bytes_kept_by_a_search(n_candidates: int, harness_cls=FakeContext) -> int:
    ctx = harness_cls(smoke(random_candidates=n_candidates, random_scratch_steps=1, proxy_samples=16))
    before = live_tensor_bytes()
    result = search(RandomStrategy, FakeSpace(), ctx)
    kept = live_tensor_bytes() - before  # the harness is still alive, as during a run
    assert result.info["architectures_evaluated"] == n_candidates
    return kept


class HoardingContext(FakeContext):
    """The control: harnesses that keep every trainer they make, in one list (the search scores each candidate as a job
    with a harness of its own, `for_job`)."""
    hoard: list = []

    def make_trainer(self, *args, **kwargs):
        trainer = super().make_trainer(*args, **kwargs)
        HoardingContext.hoard.append(trainer)
        return trainer


def test_memory_kept_after_a_from_scratch_search_does_not_grow_with_its_candidates():
    space = FakeSpace()
    g_bytes = sum(p.numel() * p.element_size() for p in space.build_generator(
        space.sample(np.random.default_rng(0)), FakeContext(smoke()).widths()).parameters())
    growth = bytes_kept_by_a_search(12) - bytes_kept_by_a_search(2)
    hoarded = bytes_kept_by_a_search(12, HoardingContext) - bytes_kept_by_a_search(2, HoardingContext)
    HoardingContext.hoard.clear()
    assert hoarded > 10 * g_bytes  # ten more candidates kept: at least their generators' weights each
    assert growth < g_bytes, (growth, hoarded, g_bytes)  # flat: less than one generator's weights
