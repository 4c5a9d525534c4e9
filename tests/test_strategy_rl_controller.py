"""The REINFORCE controller: what a sample holds, that its log-probability is the policy's, and that updates learn."""
import math

import torch
import torch.nn.functional as F

from ganas_bench.strategies.controller import Controller, Reinforce



def replay_log_prob(controller, tokens, start=None):
    """Sum of log-softmax of `tokens` under the controller, recomputed step by step from its parts."""
    state = start if start is not None else controller.zero_state()
    x = torch.zeros(1, controller.hidden_size)
    total = torch.zeros(())
    offset = 0
    for token, n, head in zip(tokens, controller.n_choices, controller.heads):
        state = controller.lstm(x, state)
        total = total + F.log_softmax(head(state[0])[0], dim=-1)[token]
        x = controller.embedding.weight[offset + token].unsqueeze(0)
        offset += n
    return total


def test_sample_has_one_token_per_decision_in_range_and_state_of_hidden_size():
    torch.manual_seed(0)
    c = Controller([2, 3, 3, 2, 4], hidden_size=12)
    assert c.embedding.num_embeddings == 14 and len(c.heads) == 5 and c.offsets == (0, 2, 5, 8, 10)
    for _ in range(20):
        s = c.sample()
        assert len(s.tokens) == 5 and all(0 <= t < n for t, n in zip(s.tokens, c.n_choices))
        assert s.log_prob.shape == () and s.entropies.shape == (5,)
        assert s.hidden[0].shape == s.hidden[1].shape == (1, 12)
        assert torch.all(s.entropies >= 0) and torch.all(s.entropies <= torch.log(torch.tensor([2., 3, 3, 2, 4])) + 1e-6)


def test_log_prob_is_the_sum_of_log_softmax_of_the_chosen_tokens():
    torch.manual_seed(1)
    c = Controller([2, 3, 4], hidden_size=8)
    for _ in range(10):
        s = c.sample()
        torch.testing.assert_close(s.log_prob, replay_log_prob(c, s.tokens))


def test_sampling_from_a_handed_over_state_uses_that_state():
    torch.manual_seed(2)
    previous, c = Controller([3], hidden_size=8), Controller([2, 2], hidden_size=8)
    start = previous.sample().hidden
    s = c.sample(start)
    torch.testing.assert_close(s.log_prob, replay_log_prob(c, s.tokens, start))
    assert not torch.allclose(s.log_prob, replay_log_prob(c, s.tokens))


def token_zero_probability(controller):
    with torch.no_grad():
        h, _ = controller.lstm(torch.zeros(1, controller.hidden_size), controller.zero_state())
        return F.softmax(controller.heads[0](h)[0], dim=-1)[0].item()


def test_reinforce_raises_the_probability_of_a_rewarded_token():
    torch.manual_seed(3)
    c = Controller([3], hidden_size=8)
    before = token_zero_probability(c)
    rl = Reinforce(c, lr=0.02, betas=(0.0, 0.9), entropy_coef=1e-3, baseline_decay=0.9)
    for _ in range(150):
        s = c.sample()
        rl.step(s, 1.0 if s.tokens[0] == 0 else 0.0)
    assert token_zero_probability(c) > max(0.8, before + 0.3)  # 0.98-0.996 over seeds 0-9: a wide margin


def test_first_update_after_a_baseline_reset_has_zero_advantage_and_moves_nothing():
    torch.manual_seed(4)
    c = Controller([2, 3], hidden_size=8)
    rl = Reinforce(c, lr=0.1, betas=(0.0, 0.9), entropy_coef=1e-3, baseline_decay=0.9)
    rl.step(c.sample(), 5.0)
    rl.reset_baseline()
    params = [p.detach().clone() for p in c.parameters()]
    out = rl.step(c.sample(), 7.0)
    assert out["loss"] == 0.0 and out["reward"] == out["baseline"]
    assert all(torch.equal(a, b) for a, b in zip(params, c.parameters()))
    out = rl.step(c.sample(), 9.0)  # the next one moves the baseline by (1 - decay) of the gap only
    assert out["baseline"] < out["reward"] and not all(torch.equal(a, b) for a, b in zip(params, c.parameters()))


def test_reward_adds_the_entropy_bonus_per_decision_as_the_original():
    torch.manual_seed(5)
    c = Controller([2, 3], hidden_size=8)
    rl = Reinforce(c, lr=1e-3, betas=(0.0, 0.9), entropy_coef=0.5, baseline_decay=0.9)
    s = c.sample()
    expected = 2.0 + 0.5 * s.entropies.mean().item()
    assert abs(rl.step(s, 2.0)["reward"] - expected) < 1e-6


def summed_entropy_after_constant_score_updates(seed, detach_entropy, steps=100):
    torch.manual_seed(seed)
    c = Controller([4, 3], hidden_size=8)
    rl = Reinforce(c, lr=0.01, betas=(0.0, 0.9), entropy_coef=1.0, baseline_decay=0.9)
    for _ in range(steps):
        s = c.sample()
        if detach_entropy:
            s.entropies = s.entropies.detach()
        rl.step(s, 1.0)
    with torch.no_grad():
        return c.sample().entropies.sum().item()


def test_non_detached_entropy_bonus_pushes_entropy_down_as_in_the_original():
    """With a constant score only the entropy term moves the controller. Kept in the graph (as AutoGAN does) it lowers
    the entropy from ~2.45 nats to 0.20-0.33 in 100 updates (seeds 0-5); detached, the entropy stays at 2.05-2.40. The
    bounds below sit near the middle of that gap, so other kernels or seeds cannot cross them."""
    start = math.log(4) + math.log(3)
    assert summed_entropy_after_constant_score_updates(0, detach_entropy=False) < 0.4 * start
    assert summed_entropy_after_constant_score_updates(0, detach_entropy=True) > 0.7 * start
