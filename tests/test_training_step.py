"""The shared GAN step: hinge losses, optimiser separation, EMA, NaN detection."""
import math

import pytest
import torch
from torch import nn

from ganas_bench.config import profile_defaults
from ganas_bench.training import EMA, DivergedError, GANTrainer, hinge_d_loss, hinge_g_loss, xavier_init


def test_hinge_losses_match_their_definition():
    real = torch.tensor([2.0, 0.5, -1.0])
    fake = torch.tensor([-2.0, 0.0, 1.0])
    expected = (0 + 0.5 + 2.0) / 3 + (0 + 1.0 + 2.0) / 3
    assert math.isclose(hinge_d_loss(real, fake).item(), expected, rel_tol=1e-6)
    assert math.isclose(hinge_g_loss(fake).item(), 1.0 / 3, rel_tol=1e-6)


class _G(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.fc = nn.Linear(latent, 16)

    def forward(self, z):
        return torch.tanh(self.fc(z)).view(-1, 1, 4, 4)


class _D(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc(x.flatten(1))


def _trainer(**changes):
    cfg = profile_defaults("smoke").replace(**changes)
    torch.manual_seed(0)
    g, d = xavier_init(_G(cfg.latent_dim)), xavier_init(_D())
    return GANTrainer(g, d, cfg, torch.device("cpu")), cfg


def test_d_step_moves_only_d_and_g_step_moves_only_g():
    trainer, cfg = _trainer()
    g0 = trainer.G.fc.weight.clone()
    d0 = trainer.D.fc.weight.clone()
    trainer.d_step(torch.rand(8, 1, 4, 4) * 2 - 1)
    assert torch.equal(trainer.G.fc.weight, g0) and not torch.equal(trainer.D.fc.weight, d0)
    d1 = trainer.D.fc.weight.clone()
    trainer.g_step()
    assert not torch.equal(trainer.G.fc.weight, g0) and torch.equal(trainer.D.fc.weight, d1)
    assert trainer.D.fc.weight.grad is None or all(p.requires_grad for p in trainer.D.parameters())


def test_ema_follows_its_definition():
    model = nn.Linear(2, 1)
    ema = EMA(model, 0.9)
    before = ema.model.weight.clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update(model)
    assert torch.allclose(ema.model.weight, 0.9 * before + 0.1 * model.weight)


def test_nan_loss_is_detected_before_it_reaches_the_weights():
    trainer, _ = _trainer()
    d0 = trainer.D.fc.weight.clone()
    with pytest.raises(DivergedError, match="D loss is nan"):
        trainer.d_step(torch.full((8, 1, 4, 4), float("nan")))
    assert torch.equal(trainer.D.fc.weight, d0)


def test_trainer_state_round_trip_continues_identically():
    def run(split):
        trainer, _ = _trainer()
        data = [torch.rand(8, 1, 4, 4) * 2 - 1 for _ in range(6)]
        torch.manual_seed(1)
        for x in data[:split]:
            trainer.d_step(x)
            trainer.g_step()
        if split < 6:
            state = {k: v for k, v in trainer.state_dict().items()}
            rng = torch.get_rng_state()
            trainer2, _ = _trainer()
            trainer2.load_state_dict(state)
            torch.set_rng_state(rng)
            trainer = trainer2
            for x in data[split:]:
                trainer.d_step(x)
                trainer.g_step()
        return trainer.ema.model.fc.weight

    assert torch.equal(run(6), run(3))


def test_a_step_whose_loss_has_no_gradient_is_skipped_and_counted():
    class ConstantD(nn.Module):
        def __init__(self):
            super().__init__()
            self.bias = nn.Parameter(torch.zeros(1))

        def forward(self, x):  # ignores its input: G's loss cannot depend on G
            return self.bias.expand(x.shape[0], 1)

    cfg = profile_defaults("smoke")
    trainer = GANTrainer(_G(cfg.latent_dim), ConstantD(), cfg, torch.device("cpu"))
    g0 = trainer.G.fc.weight.clone()
    trainer.g_step()
    assert trainer.skipped_steps == {"D": 0, "G": 1} and torch.equal(trainer.G.fc.weight, g0)
    trainer.d_step(torch.rand(8, 1, 4, 4))
    assert trainer.skipped_steps["D"] == 0
