"""The tiny profile's digits: the loaded images and the fixed held-out split the digits classifier is trained on."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

from ganas_bench.data import DIGITS_N_TEST, digits_split, load_real_images


@pytest.fixture(scope="module")
def sklearn_digits():
    return load_digits()


def test_digits_are_1797_single_channel_16px_images_spanning_0_to_255():
    real = load_real_images("digits", image_size=16)
    assert (real.name, real.split, len(real), real.channels, real.image_size) == ("digits", "all", 1797, 1, 16)
    assert real.uint8.dtype == torch.uint8
    assert int(real.uint8.min()) == 0 and int(real.uint8.max()) == 255


def test_digits_keep_sklearn_order_and_orientation(sklearn_digits):
    real = load_real_images("digits", image_size=16)
    back = F.avg_pool2d(real.uint8.to(torch.float32), 2).squeeze(1).numpy()  # 16 -> 8 px
    scans = sklearn_digits.images * (255 / 16)
    per_image = [np.corrcoef(b.ravel(), s.ravel())[0, 1] for b, s in zip(back[:50], scans[:50])]
    transposed = [np.corrcoef(b.T.ravel(), s.ravel())[0, 1] for b, s in zip(back[:50], scans[:50])]
    assert min(per_image) > 0.95 and np.mean(transposed) < 0.8


def test_digits_split_is_a_fixed_stratified_partition(sklearn_digits):
    split = digits_split()
    assert len(split.test) == DIGITS_N_TEST == 297 and len(split.train) == 1797 - 297
    assert split.train.dtype == split.test.dtype == torch.int64
    assert torch.equal(torch.sort(torch.cat([split.train, split.test])).values, torch.arange(1797))
    assert torch.equal(split.labels, torch.from_numpy(sklearn_digits.target.astype(np.int64)))
    per_class = torch.bincount(split.labels[split.test], minlength=10).numpy()
    expected = np.bincount(sklearn_digits.target) * 297 / 1797
    assert np.abs(per_class - expected).max() <= 1


def test_digits_split_repeats_under_a_seed_and_moves_with_it():
    first, again, other = digits_split(seed=0), digits_split(seed=0), digits_split(seed=1)
    assert torch.equal(first.test, again.test) and torch.equal(first.train, again.train)
    assert not torch.equal(first.test, other.test)
    assert len(digits_split(n_test=100).test) == 100


@pytest.mark.parametrize("n_test", [0, 1797, 2.5])
def test_digits_split_refuses_an_impossible_held_out_size(n_test):
    with pytest.raises(ValueError, match="n_test"):
        digits_split(n_test=n_test)
