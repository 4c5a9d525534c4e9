"""STL-10 train+unlabeled (5,000 + 100,000 RGB 96x96 images), resized to the working side (48 in the papers).

Read from torchvision's layout `<root>/stl10_binary/{train_X,unlabeled_X}.bin`: raw uint8, 27,648 bytes per image, one
channel after the other (R, G, B), each 96x96 plane stored column-major (the first 96 bytes are the left column, top to
bottom). We read the files ourselves rather than through `torchvision.datasets.STL10` because that class demands the md5
of all five binaries (test files included) on every construction and loads the whole 2.9 GB split into memory twice
(read, then concatenate) before any resize; here the files are memory-mapped and converted in chunks, so the peak is the
resized result plus one chunk (~0.7 GB at 48 px). Order is torchvision's: the train images, then the unlabeled ones.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import UserError
from .images import RESIZE_CHUNK, RealImages, resize_to_uint8
from .sources import DatasetFiles, ensure_downloaded

STL10_FILES = DatasetFiles(
    label="STL-10",
    folder="stl10_binary",
    files=("train_X.bin", "unlabeled_X.bin"),
    archive="stl10_binary.tar.gz",
    torchvision_name="STL10",
)
#: the split name recorded with STL-10 metrics (`reference_split`): train and unlabeled images, as AutoGAN's code
STL10_SPLIT = "train+unlabeled"
STL10_SIDE = 96
_IMAGE_BYTES = 3 * STL10_SIDE * STL10_SIDE


def map_stl10_images(path: Path) -> np.ndarray:
    """A read-only memory map of one STL-10 image binary as uint8 (n, 3, 96, 96) in (C, H, W) order."""
    size = path.stat().st_size
    if size == 0 or size % _IMAGE_BYTES:
        raise UserError(
            f"STL-10 file {str(path)!r} is corrupt: {size} bytes is not a whole number of 96x96 RGB images "
            f"({_IMAGE_BYTES} bytes each); delete the folder {STL10_FILES.folder} and pass --download, "
            f"or copy a good one there"
        )
    raw = np.memmap(path, dtype=np.uint8, mode="r", shape=(size // _IMAGE_BYTES, 3, STL10_SIDE, STL10_SIDE))
    return raw.transpose(0, 1, 3, 2)  # column-major planes -> (C, H, W)


def load_stl10(root: str | Path, image_size: int, download: bool) -> RealImages:
    """STL-10 train+unlabeled as RealImages at image_size; split "train+unlabeled"."""
    folder = ensure_downloaded(STL10_FILES, root, download)
    parts = [map_stl10_images(folder / name) for name in STL10_FILES.files]
    out = torch.empty((sum(len(p) for p in parts), 3, image_size, image_size), dtype=torch.uint8)
    offset = 0
    for part in parts:
        for start in range(0, len(part), RESIZE_CHUNK):
            chunk = torch.from_numpy(np.ascontiguousarray(part[start:start + RESIZE_CHUNK]))
            if image_size != STL10_SIDE:
                chunk = resize_to_uint8(chunk, image_size)
            out[offset:offset + len(chunk)] = chunk
            offset += len(chunk)
    return RealImages(out, name="stl10", split=STL10_SPLIT)
