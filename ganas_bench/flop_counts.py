"""FLOPs of the units a search or a training is made of, counted by torch's FLOP counter on the real code, on the CPU.

Each unit runs once at a batch of COUNT_BATCH on fresh modules (no data, no GPU, seconds even at the papers' widths)
and is scaled to the batch the protocol uses: the counter counts convolutions and matrix multiplies, whose FLOPs are
exactly proportional to the batch (tested). The units are the harness's own steps (`GANTrainer.d_step` / `g_step`,
the differentiable strategy's architecture steps), so what is counted is what a run computes; element-wise work
(activations, normalisation, Adam) is not counted, as the counter does not count it.
Counting never touches the caller's RNG streams (`untouched_rng`).
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from .seeding import untouched_rng

COUNT_BATCH = 2  # the batch every unit is counted at; BatchNorm in train mode needs more than one sample
CPU = torch.device("cpu")


def counted(fn) -> int:
    """FLOPs of `fn()` as torch's counter counts them."""
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return int(counter.get_total_flops())


@dataclass(frozen=True)
class StepFlops:
    """FLOPs per sample of a GAN's steps: a D step per real image (with its fake), a G step per generated image, and
    sampling (G's forward pass without gradient) per image."""
    d_step: float
    g_step: float
    sample: float


def counting_config(cfg):
    """`cfg` as the units are counted: COUNT_BATCH generated images per G step, fp32, eager, contiguous (the counted
    FLOPs are the same in any precision or layout)."""
    return cfg.replace(g_batch=COUNT_BATCH, precision="fp32", channels_last=False, compile=False)


def sample_flops(generator, latent_dim: int) -> float:
    """Per-image FLOPs of `generator`'s forward pass without gradient, in eval mode (its mode is left as it was)."""
    was_training = generator.training
    generator.eval()
    try:
        with untouched_rng(CPU), torch.no_grad():
            return counted(lambda: generator(torch.randn(COUNT_BATCH, latent_dim))) / COUNT_BATCH
    finally:
        generator.train(was_training)


def gan_step_flops(generator, discriminator, cfg, image_size: int, channels: int) -> StepFlops:
    """Per-sample FLOPs of the harness's D and G steps on copies of `generator` and `discriminator` (see
    `counting_config`), and of sampling."""
    from .training import GANTrainer

    G, D = copy.deepcopy(generator).to(CPU), copy.deepcopy(discriminator).to(CPU)
    with untouched_rng(CPU):
        trainer = GANTrainer(G, D, counting_config(cfg), CPU, ema=False)
        real = torch.zeros(COUNT_BATCH, channels, image_size, image_size)
        d_step = counted(lambda: trainer.d_step(real))
        g_step = counted(trainer.g_step)
    return StepFlops(d_step / COUNT_BATCH, g_step / COUNT_BATCH, sample_flops(G, cfg.latent_dim))


def mean_step_flops(flops: list[StepFlops]) -> StepFlops:
    n = len(flops)
    return StepFlops(sum(f.d_step for f in flops) / n, sum(f.g_step for f in flops) / n,
                     sum(f.sample for f in flops) / n)


@functools.lru_cache(maxsize=None)
def backbone_flops_per_image(backbone: str) -> int:
    """FLOPs of the evaluation backbone on one image: the digits classifier at its 16x16 input, or Inception v3 at
    299x299 (torch-fidelity resizes every image to it; counted on torchvision's Inception v3 with 1,008 classes, the
    layer shapes of torch-fidelity's TF-compatible one, built on the meta device: no weights needed)."""
    from .metrics.digits_classifier import IMAGE_SIZE, DigitsClassifier
    from .metrics.evaluate import INCEPTION_BACKBONE

    if backbone == INCEPTION_BACKBONE:
        from torchvision.models import inception_v3

        with torch.device("meta"):
            model = inception_v3(weights=None, aux_logits=False, init_weights=False, num_classes=1008).eval()
            images = torch.zeros(1, 3, 299, 299)
        with torch.no_grad():
            return counted(lambda: model(images))
    with untouched_rng(CPU):
        model = DigitsClassifier().eval()
    with torch.no_grad():
        return counted(lambda: model(torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE, dtype=torch.uint8)))
