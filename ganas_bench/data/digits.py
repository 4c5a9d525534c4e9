"""The tiny profile's real data: scikit-learn's 1,797 handwritten digits (8x8 scans, values 0..16), no download.

Images are scaled to 0..255 and upsampled (antialiased bilinear, rounded) to the working side, one channel. Their order
is `load_digits()`'s, so the indices of `digits_split` index `load_digits_images(...)` and its labels directly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .images import RealImages, resize_to_uint8

#: the split name recorded with digits metrics (`reference_split`): every image, no train / test division
DIGITS_SPLIT = "all"
#: the held-out size the project's digits classifier and its real-data FID reference use
DIGITS_N_TEST = 297


def _digits_bunch():
    from sklearn.datasets import load_digits

    return load_digits()


def load_digits_images(image_size: int) -> RealImages:
    """All 1,797 digits as (1797, 1, image_size, image_size) uint8 spanning 0..255; split "all" (scikit-learn ships
    one set, not a train split: the tiny profile trains on all of it, and its FID / KID reference is all of it)."""
    scans = torch.from_numpy(_digits_bunch().images.astype(np.float32)).unsqueeze(1)  # (N, 1, 8, 8), 0..16
    return RealImages(resize_to_uint8(scans * (255.0 / 16.0), image_size), name="digits", split=DIGITS_SPLIT)


@dataclass(frozen=True, eq=False)
class DigitsSplit:
    """A fixed train / held-out split of the digits: int64 indices in `load_digits_images` order, and all labels."""

    train: torch.Tensor
    test: torch.Tensor
    labels: torch.Tensor
    seed: int


def digits_split(seed: int = 0, n_test: int = DIGITS_N_TEST) -> DigitsSplit:
    """Split the digits into train and n_test held-out images, stratified by class, the same on every machine.

    Uses `numpy.random.RandomState` (whose stream NumPy keeps fixed across versions) to shuffle, then holds out the
    images at the front of each class's shuffled list, in proportion to class size: each class gives round(n_test x its
    share) images, give or take one. Both index tensors are sorted. The digits classifier trains on `train`; `test` is
    its accuracy check and the held-out side of the real-vs-real FID reference.
    """
    labels = _digits_bunch().target.astype(np.int64)
    n = labels.shape[0]
    if isinstance(n_test, bool) or not isinstance(n_test, (int, np.integer)) or not 0 < n_test < n:
        raise ValueError(f"n_test must be an integer in 1..{n - 1}, got {n_test!r}")
    order = np.random.RandomState(seed).permutation(n)
    shuffled = labels[order]
    # position of each shuffled image within its own class, as a fraction of the class size
    rank = np.empty(n, dtype=np.float64)
    for cls in np.unique(labels):
        members = np.flatnonzero(shuffled == cls)
        rank[members] = (np.arange(members.size) + 0.5) / members.size
    held_out = order[np.argsort(rank, kind="stable")[:n_test]]
    is_test = np.zeros(n, dtype=bool)
    is_test[held_out] = True
    return DigitsSplit(
        train=torch.from_numpy(np.flatnonzero(~is_test)),
        test=torch.from_numpy(np.flatnonzero(is_test)),
        labels=torch.from_numpy(labels),
        seed=seed,
    )
