"""RealImages: the float mapping, validation, and the cached antialiased resize AutoGAN's staged search uses."""
import numpy as np
import pytest
import torch
from PIL import Image

from ganas_bench.data import RealImages
from ganas_bench.errors import UserError


def random_images(n=6, channels=3, side=32, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return RealImages(torch.randint(0, 256, (n, channels, side, side), generator=generator, dtype=torch.uint8),
                      name="cifar10", split="train")


def test_to_float_maps_0_and_255_to_minus_one_and_one():
    images = RealImages(torch.tensor([0, 51, 255], dtype=torch.uint8).view(3, 1, 1, 1), "digits", "train")
    values = images.to_float().flatten()
    assert values.dtype == torch.float32
    assert torch.allclose(values, torch.tensor([-1.0, 51 / 127.5 - 1, 1.0]))


def test_properties_describe_the_tensor():
    images = random_images(n=5, channels=3, side=32)
    assert (len(images), images.channels, images.image_size) == (5, 3, 32)


@pytest.mark.parametrize("bad", [torch.zeros(2, 3, 8, 8), torch.zeros(3, 8, 8, dtype=torch.uint8),
                                 torch.zeros(2, 3, 8, 6, dtype=torch.uint8)])
def test_non_uint8_or_non_square_tensors_are_refused(bad):
    with pytest.raises(ValueError, match="uint8"):
        RealImages(bad, "digits", "train")


@pytest.mark.parametrize("size", [8, 16])
def test_resized_matches_pil_bilinear_within_one_grey_level(size):
    images = random_images()
    small = images.resized(size)
    assert small.uint8.shape == (6, 3, size, size) and small.uint8.dtype == torch.uint8
    assert (small.name, small.split) == (images.name, images.split)
    # the papers resized PIL images with torchvision's Resize (PIL bilinear, antialiased)
    pil = np.stack([np.asarray(Image.fromarray(img.permute(1, 2, 0).numpy()).resize((size, size), Image.BILINEAR))
                    for img in images.uint8])
    difference = np.abs(small.uint8.permute(0, 2, 3, 1).numpy().astype(int) - pil.astype(int))
    assert difference.max() <= 1


def test_resized_is_cached_per_size_and_identity_at_own_size():
    images = random_images()
    assert images.resized(16) is images.resized(16)
    assert images.resized(8) is not images.resized(16)
    assert images.resized(32) is images


@pytest.mark.parametrize("size", [0, -8, 16.0, True])
def test_resized_refuses_a_bad_size(size):
    with pytest.raises(UserError, match="image size"):
        random_images().resized(size)
