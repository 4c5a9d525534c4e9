"""The temperature schedule of AdversarialNAS's relaxation, and the entropy summary its convergence plots use.

AdversarialNAS anneals the Gumbel-softmax temperature once per epoch: tau = max(tau_min, tau_max * exp(-ln(50) * epoch /
anneal_epochs)), a 50-fold decay over `anneal_epochs` epochs (5 -> 0.1 over 25 in the released search script, whose
decay rate is written ln(tau_max / tau_min) / epochs - the same number at its defaults).
"""
from __future__ import annotations

import math
from typing import Mapping

DECAY = math.log(50.0)


def tau_schedule(epoch: float, tau_max: float, tau_min: float, anneal_epochs: float) -> float:
    """The temperature at `epoch` (the original's epoch number: its first trained epoch is 1)."""
    return max(tau_min, tau_max * math.exp(-DECAY * epoch / anneal_epochs))


def mean_entropy(entropies: Mapping[str, float]) -> float:
    """Mean over the decisions of their entropies (nats): one number per point of the convergence curve."""
    return sum(entropies.values()) / len(entropies) if entropies else 0.0
