"""`load_real_images`: one entry point from a dataset name to its real images at the working resolution."""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from .cifar10 import load_cifar10
from .digits import load_digits_images
from .images import RealImages
from .stl10 import load_stl10

#: the working side each dataset has in its profile (the papers' 32 and 48; 16 for the upsampled digits)
DEFAULT_IMAGE_SIZE = {"digits": 16, "cifar10": 32, "stl10": 48}
DATASET_NAMES = tuple(DEFAULT_IMAGE_SIZE)
#: real training images of each dataset (the splits below): what an epoch of search is made of, known before loading
DATASET_SIZE = {"digits": 1797, "cifar10": 50_000, "stl10": 105_000}


def load_real_images(name: str, root: str | Path = "data", image_size: int | None = None,
                     download: bool = False) -> RealImages:
    """The real training images of dataset `name` at image_size x image_size (None: its DEFAULT_IMAGE_SIZE).

    digits: scikit-learn's 1,797 scans, split "all", 1 channel; `root` and `download` are unused (nothing to fetch).
    cifar10: CIFAR-10 train (50k), split "train", from `<root>/cifar-10-batches-py`.
    stl10: STL-10 train+unlabeled (105k), split "train+unlabeled", from `<root>/stl10_binary`.
    Missing files without `download`, corrupt files and unknown names raise UserError with one line saying what to do.
    """
    if name not in DEFAULT_IMAGE_SIZE:
        raise UserError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASET_NAMES)}")
    if image_size is None:
        image_size = DEFAULT_IMAGE_SIZE[name]
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size <= 0:
        raise UserError(f"invalid image size {image_size!r}; accepted: an integer > 0")
    if name == "digits":
        return load_digits_images(image_size)
    if name == "cifar10":
        return load_cifar10(root, image_size, download)
    return load_stl10(root, image_size, download)
