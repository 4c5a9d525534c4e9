"""AutoGAN's REINFORCE controller: an LSTM that emits one MLAS stage's decisions token by token, and its update rule.

The controller follows the original's `models_search/controller.py`: one `LSTMCell(hidden, hidden)`, a zero vector as
the first input, ONE embedding table over every token value of the stage (decision i's tokens start at the sum of the
choice counts before it), one `Linear(hidden, n_choices)` head per decision, tokens drawn by `multinomial(softmax)` with
no temperature. PyTorch's default initialisation is kept (the original's init touches only conv and BatchNorm layers).
A stage's sampling may start from the LSTM state a previous stage's controller ended in (MLAS hand-over); the first
input is zeros then too, as in the original.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

LSTMState = tuple[torch.Tensor, torch.Tensor]


@dataclass
class ControllerSample:
    """One architecture (or stage suffix) drawn by a controller, with what REINFORCE needs.

    `log_prob` is the summed log-probability of the tokens and `entropies` the entropy of each decision's distribution;
    both carry the graph when sampled with grad enabled. `hidden` is the LSTM state after the last token: the state a
    next-stage controller starts from when this sample is kept as an MLAS prefix.
    """

    tokens: tuple[int, ...]
    log_prob: torch.Tensor
    entropies: torch.Tensor
    hidden: LSTMState

    @property
    def entropy(self) -> torch.Tensor:
        """Summed entropy (nats) of the decisions' distributions along this sample."""
        return self.entropies.sum()


class Controller(nn.Module):
    """Samples the decisions of one MLAS stage; `n_choices[i]` is the number of choices of the stage's decision i."""

    def __init__(self, n_choices: Sequence[int], hidden_size: int):
        super().__init__()
        self.n_choices = tuple(int(n) for n in n_choices)
        if not self.n_choices or min(self.n_choices) < 1:
            raise ValueError(f"a controller needs at least one decision with >= 1 choice, got {list(n_choices)}")
        self.hidden_size = int(hidden_size)
        self.offsets = tuple(sum(self.n_choices[:i]) for i in range(len(self.n_choices)))
        self.lstm = nn.LSTMCell(self.hidden_size, self.hidden_size)
        self.embedding = nn.Embedding(sum(self.n_choices), self.hidden_size)
        self.heads = nn.ModuleList(nn.Linear(self.hidden_size, n) for n in self.n_choices)

    def zero_state(self) -> LSTMState:
        zeros = self.embedding.weight.new_zeros(1, self.hidden_size)
        return zeros, zeros.clone()

    def sample(self, start: LSTMState | None = None) -> ControllerSample:
        """Draw one token per decision (global torch RNG), starting from `start` (an MLAS prefix's state) or zeros."""
        state = start if start is not None else self.zero_state()
        x = self.embedding.weight.new_zeros(1, self.hidden_size)
        tokens, log_probs, entropies = [], [], []
        for offset, head in zip(self.offsets, self.heads):
            state = self.lstm(x, state)
            logits = head(state[0])[0]
            probs = F.softmax(logits, dim=-1)
            log_p = F.log_softmax(logits, dim=-1)
            token = torch.multinomial(probs.detach(), 1)
            tokens.append(int(token))
            log_probs.append(log_p[token[0]])
            entropies.append(-(probs * log_p).sum())
            x = self.embedding(token + offset)
        return ControllerSample(tuple(tokens), torch.stack(log_probs).sum(), torch.stack(entropies), state)


class Reinforce:
    """REINFORCE on one controller with an exponential-moving-average baseline, as AutoGAN's `train_controller`.

    With AutoGAN's batch of one architecture the original's tensors broadcast so that, written out:
    - the reward is a vector over the stage's decisions, r_i = score + entropy_coef * H_i (H_i: entropy of decision i);
      the entropy term is not detached, so it also enters the loss directly, as decay * entropy_coef * (-log p) * H_i
      with -log p > 0: minimising the loss pushes entropy DOWN, against the bonus's intent (measured with
      entropy_coef 1: summed entropy 0.07 nats after 200 constant-score updates, 2.38 with the term detached). The
      original does the same, scaled by its entropy_coef of 1e-3;
    - the baseline is an EMA of that vector, b <- decay * b + (1 - decay) * r, set to the first reward after each
      `reset_baseline()` (every search iteration), so that first update has advantage exactly 0 and does not move;
    - the loss is -(sum_j log p_j) * sum_i (r_i - b_i).
    Adam with the given lr and betas (AutoGAN: 3.5e-4, (0.0, 0.9)).
    """

    def __init__(self, controller: Controller, lr: float, betas: tuple[float, float], entropy_coef: float,
                 baseline_decay: float):
        self.controller = controller
        self.optimizer = torch.optim.Adam(controller.parameters(), lr=float(lr),
                                          betas=(float(betas[0]), float(betas[1])))
        self.entropy_coef = float(entropy_coef)
        self.baseline_decay = float(baseline_decay)
        self.baseline: torch.Tensor | None = None

    def reset_baseline(self) -> None:
        self.baseline = None

    def step(self, sample: ControllerSample, score: float) -> dict[str, float]:
        """One update from `sample` (drawn with grad) scored `score`; returns the mean reward and baseline, the loss."""
        rewards = score + self.entropy_coef * sample.entropies
        if self.baseline is None:
            baseline = rewards
        else:
            baseline = self.baseline_decay * self.baseline + (1.0 - self.baseline_decay) * rewards
        self.baseline = baseline.detach()
        loss = -sample.log_prob * (rewards - baseline).sum()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"reward": rewards.mean().item(), "baseline": baseline.mean().item(), "loss": loss.item()}
