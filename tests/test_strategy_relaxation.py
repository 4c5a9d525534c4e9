"""AdversarialNAS's Gumbel temperature schedule: the original's general formula, not only its released numbers."""
import math

import pytest

from ganas_bench.strategies.relaxation import TAU_FLOOR, tau_schedule


def test_released_numbers_decay_fifty_fold_over_the_anneal_epochs():
    assert tau_schedule(0, 5.0, 0.1, 25) == 5.0
    assert math.isclose(tau_schedule(12.5, 5.0, 0.1, 25), 5.0 / math.sqrt(50))
    assert math.isclose(tau_schedule(1, 5.0, 0.1, 25), 4.2757, rel_tol=1e-4)  # the original's first trained epoch
    assert math.isclose(tau_schedule(24, 5.0, 0.1, 25), 0.11694, rel_tol=1e-4)
    assert tau_schedule(25, 5.0, 0.1, 25) == pytest.approx(0.1)
    assert tau_schedule(40, 5.0, 0.1, 25) == TAU_FLOOR == 0.1


def test_released_numbers_give_the_same_floats_as_the_fixed_ln50_schedule():
    """The general formula must not move a default search by one bit (the committed references depend on it)."""
    for epoch in [e / 4 for e in range(0, 121)]:
        assert tau_schedule(epoch, 5.0, 0.1, 25) == max(0.1, 5.0 * math.exp(-math.log(50.0) * epoch / 25))


def test_another_tau_max_decays_by_tau_max_over_tau_min_not_by_fifty():
    # 10 -> 0.1 over 25 epochs is a 100-fold decay: 1.0 half-way (a fixed ln 50 would give 10 / sqrt(50) = 1.41)
    assert math.isclose(tau_schedule(12.5, 10.0, 0.1, 25), 1.0)
    assert math.isclose(tau_schedule(25, 10.0, 0.1, 25), 0.1)
    assert math.isclose(tau_schedule(5, 2.0, 0.5, 10), 1.0)  # 2 -> 0.5 over 10 epochs: 1.0 at 5


def test_floor_is_the_originals_literal_one_tenth_not_tau_min():
    # tau_min 0.5: reached at the anneal length, then the decay goes on (5 x 10^(-40/25) = 0.126) down to 0.1
    assert math.isclose(tau_schedule(25, 5.0, 0.5, 25), 0.5)
    assert math.isclose(tau_schedule(40, 5.0, 0.5, 25), 5.0 * 10 ** (-40 / 25))
    assert tau_schedule(100, 5.0, 0.5, 25) == 0.1
    # tau_min 0.05 is never reached: the floor stops the decay at 0.1
    assert tau_schedule(25, 5.0, 0.05, 25) == 0.1
    assert tau_schedule(25, 5.0, 0.05, 25, floor=0.05) == pytest.approx(0.05)
