"""The temperature schedule of AdversarialNAS's relaxation, and the entropy summary its convergence plots use.

AdversarialNAS sets the Gumbel-softmax temperature once per epoch of its search loop:
    tau(epoch) = max(floor, tau_max * exp(-ln(tau_max / tau_min) * epoch / anneal_epochs)),
an exponential decay from tau_max at epoch 0 to tau_min at `anneal_epochs`, the length of its search loop
(`max_epoch_G x n_critic` = 25 epochs in the released script), under a floor that its loop writes as a literal 0.1
(`TAU_FLOOR`), not as tau_min. At the released numbers (5 -> 0.1 over 25 epochs) that is a 50-fold decay and the floor
equals tau_min; with other numbers the two differ: a tau_min above 0.1 is passed after `anneal_epochs` (the decay goes
on to the floor), a tau_min below 0.1 is never reached.
"""
from __future__ import annotations

import math
from typing import Mapping

#: the original's lower bound on the temperature (its search loop's literal 0.1, whatever tau_min is)
TAU_FLOOR = 0.1


def tau_schedule(epoch: float, tau_max: float, tau_min: float, anneal_epochs: float, floor: float = TAU_FLOOR) -> float:
    """The temperature at `epoch` (the original's epoch number: its first trained epoch is 1)."""
    return max(floor, tau_max * math.exp(-math.log(tau_max / tau_min) * epoch / anneal_epochs))


def mean_entropy(entropies: Mapping[str, float]) -> float:
    """Mean over the decisions of their entropies (nats): one number per point of the convergence curve."""
    return sum(entropies.values()) / len(entropies) if entropies else 0.0
