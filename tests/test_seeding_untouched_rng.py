"""Evaluation runs inside `untouched_rng`: whatever it draws, every global stream continues as if it had not run."""
import random

import numpy as np
import torch

from ganas_bench.seeding import seed_everything, untouched_rng


def draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_the_global_streams_continue_as_if_the_block_had_not_run():
    seed_everything(3)
    expected = draws()
    seed_everything(3)
    with untouched_rng(torch.device("cpu")):
        inside = draws() + draws()
    assert draws() == expected and inside[:3] == expected
