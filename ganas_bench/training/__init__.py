"""The one GAN training step everybody shares: hinge loss, n_critic, Adam, EMA, xavier init."""
from .ema import EMA
from .init import xavier_init
from .losses import hinge_d_loss, hinge_g_loss
from .trainer import DivergedError, GANTrainer

__all__ = ["EMA", "xavier_init", "hinge_d_loss", "hinge_g_loss", "DivergedError", "GANTrainer"]
