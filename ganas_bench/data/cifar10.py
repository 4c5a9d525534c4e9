"""CIFAR-10 train (50,000 RGB 32x32 images) read from torchvision's on-disk layout `<root>/cifar-10-batches-py/`.

We read the five `data_batch_*` pickles ourselves rather than through `torchvision.datasets.CIFAR10`, because that
class (1) insists on the md5 of every file, the unused test batch included, on each construction, so no file but the
original loads — not even a tiny fixture in the same format — and corruption surfaces as a bare RuntimeError; (2)
unpickles with the unrestricted `pickle`, so a tampered file could run code. Our reader checks the structure of every
batch instead (a dict with a uint8 `data` array of rows of 3,072 bytes: 1,024 red, 1,024 green, 1,024 blue, each a
32x32 row-major plane) and lets the unpickler build NumPy arrays only. Downloads still use torchvision's URL and archive
md5 (`sources.ensure_downloaded`).
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from ..errors import UserError
from .images import RealImages, resize_to_uint8
from .sources import DatasetFiles, ensure_downloaded

CIFAR10_FILES = DatasetFiles(
    label="CIFAR-10",
    folder="cifar-10-batches-py",
    files=tuple(f"data_batch_{i}" for i in range(1, 6)),
    archive="cifar-10-python.tar.gz",
    torchvision_name="CIFAR10",
)
#: the split name recorded with CIFAR-10 metrics (`reference_split`): the 50,000 training images, as the papers
CIFAR10_SPLIT = "train"
_ROW_BYTES = 3 * 32 * 32

# the only globals a CIFAR-10 batch needs: NumPy's array reconstruction (old and new module paths) and bytes decoding
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and NumPy arrays, nothing else."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected object {module}.{name}")


def read_cifar10_batch(path: Path) -> np.ndarray:
    """One CIFAR-10 python batch -> uint8 (n, 3, 32, 32). Raises UserError if the file is not such a batch."""
    try:
        with open(path, "rb") as f:
            # the files are Python 2 pickles: latin1 turns their str keys into str and keeps array bytes intact
            entry = _ArrayUnpickler(f, encoding="latin1").load()
        if not isinstance(entry, dict):
            raise ValueError(f"holds a {type(entry).__name__}, not a dict")
        entry = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}
        data = entry.get("data")
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _ROW_BYTES:
            raise ValueError("has no uint8 'data' array of shape (n, 3072)")
    except Exception as exc:  # unreadable, truncated, or not a CIFAR-10 batch
        raise UserError(
            f"CIFAR-10 file {str(path)!r} is corrupt or not a CIFAR-10 python batch ({exc}); delete the folder "
            f"{CIFAR10_FILES.folder} and pass --download, or copy a good one there"
        ) from None
    return data.reshape(-1, 3, 32, 32)


def load_cifar10(root: str | Path, image_size: int, download: bool) -> RealImages:
    """CIFAR-10 train as RealImages at image_size (32 = native, no resampling); split "train"."""
    folder = ensure_downloaded(CIFAR10_FILES, root, download)
    images = torch.from_numpy(np.concatenate([read_cifar10_batch(folder / name) for name in CIFAR10_FILES.files]))
    if image_size != 32:
        images = resize_to_uint8(images, image_size)
    return RealImages(images, name="cifar10", split=CIFAR10_SPLIT)
