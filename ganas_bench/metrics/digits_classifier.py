"""The small CNN that stands in for Inception on the `tiny` / `smoke` profiles (digits at 16x16, one channel).

It maps uint8 images (N, 1, H, W) to 10 class logits and a 128-d feature vector:

- `logits`: the last layer has no bias, so these are both the classifier's logits and the "unbiased" logits that
  torch-fidelity's Inception Score reads (Inception's IS uses logits without the fc bias; here there is none to drop).
- `features`: the 128-d penultimate layer taken *before* its activation. A ReLU layer's outputs have dead units (always
  0) whose zero variance makes FID's covariance singular; an affine read-out of the convolutional features has no such
  units. All activations are SiLU (smooth, no dead units upstream either).

Images of any side are resized to 16x16 (bilinear, antialiased when shrinking) and re-quantised to the uint8 lattice the
classifier was trained on, so AutoGAN's early search stages (4 and 8 px generators) can be scored too.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganas_bench.data.images import resize_to_uint8
from ganas_bench.errors import UserError

IMAGE_SIZE = 16
NUM_CLASSES = 10
FEATURE_DIM = 128
WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "digits_classifier.pt"


def resize_uint8(images: torch.Tensor, size: int = IMAGE_SIZE) -> torch.Tensor:
    """uint8 (N, C, H, W) -> uint8 (N, C, size, size) with the data layer's resize (the one real images got); no-op
    at size."""
    if images.shape[-2:] == (size, size):
        return images
    return resize_to_uint8(images, size)


class DigitsClassifier(nn.Module):
    """Two 3x3 conv layers (16, 32 channels, each then 2x2 max-pool), a 128-d layer and a bias-free classifier."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * (IMAGE_SIZE // 4) ** 2, FEATURE_DIM)
        self.classifier = nn.Linear(FEATURE_DIM, NUM_CLASSES, bias=False)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 (N, 1, H, W) -> (logits (N, 10), features (N, 128)), both float32."""
        x = resize_uint8(images).to(self.fc.weight.dtype) / 127.5 - 1.0
        x = F.max_pool2d(F.silu(self.conv1(x)), 2)
        x = F.max_pool2d(F.silu(self.conv2(x)), 2)
        features = self.fc(x.flatten(1))
        logits = self.classifier(F.silu(features))
        return logits, features


def load_digits_classifier(path: str | Path | None = None) -> DigitsClassifier:
    """The classifier with the shipped weights (or those in `path`), in eval mode, without gradients."""
    path = Path(path) if path is not None else WEIGHTS_PATH
    model = DigitsClassifier()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UserError(
            f"digits-classifier weights {str(path)!r} not found; rebuild them with "
            "`python -m ganas_bench.metrics.train_digits_classifier`"
        ) from None
    except Exception as exc:  # any unpickling error: not a weights_only state dict
        raise UserError(f"cannot load digits-classifier weights {str(path)!r} as a state dict: {exc}") from None
    expected = model.state_dict()
    if not isinstance(state, dict) or set(state) != set(expected) or any(
        not torch.is_tensor(state[k]) or state[k].shape != v.shape for k, v in expected.items()
    ):
        raise UserError(
            f"{str(path)!r} is not a digits-classifier state dict; expected tensors "
            + ", ".join(f"{k} {tuple(v.shape)}" for k, v in expected.items())
        )
    model.load_state_dict(state)
    return model.eval().requires_grad_(False)
