"""Write small CIFAR-10 and STL-10 datasets in the exact on-disk formats torchvision reads, from images you choose.

Tests (and offline demos of the cifar10/stl10 profiles) use these instead of downloads, so the real loading code runs on
real formats: CIFAR-10's Python 2 pickles and STL-10's column-major binaries. Only the image counts differ from the
originals (so the torchvision md5s do not match, which is why our loaders check structure instead).
"""
from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import numpy as np

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
STL10_CLASSES = ("airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck")


class _Python2Pickler(pickle._Pickler):
    """Pickles `bytes` as Python 2 `str` (BINSTRING opcodes), as the CIFAR-10 files were written.

    Built on `pickle._Pickler`, the pure-Python pickler: the C one has no per-type hook for bytes.

    Loaded with encoding="latin1" (torchvision) they become str; with encoding="bytes" (the CIFAR web page) bytes.
    """

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_python2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = _save_python2_str


def _python2_pickle(obj, path: Path) -> None:
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(obj)
    # NumPy 1.x, which wrote the originals, named its array rebuilder numpy.core.multiarray
    path.write_bytes(buffer.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n"))


def _check_images(images: np.ndarray, side: int, what: str) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (3, side, side):
        raise ValueError(f"{what} must be uint8 (n, 3, {side}, {side}), got {images.dtype} {images.shape}")
    return images


def _labels(labels, n: int) -> list[int]:
    return [i % 10 for i in range(n)] if labels is None else [int(v) for v in labels]


def write_cifar10(root: str | Path, images: np.ndarray, labels=None, test_images: np.ndarray | None = None) -> Path:
    """`<root>/cifar-10-batches-py/`: data_batch_1..5 (images (n, 3, 32, 32) uint8 split in five), test_batch, meta.

    Each row of a batch's data is 1,024 red, 1,024 green, 1,024 blue bytes, each plane 32x32 row-major.
    """
    images = _check_images(images, 32, "images")
    test_images = images[:10] if test_images is None else _check_images(test_images, 32, "test_images")
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    labels = _labels(labels, len(images))
    batches = [(f"data_batch_{i + 1}", b"training batch %d of 5" % (i + 1), part)
               for i, part in enumerate(np.array_split(np.arange(len(images)), 5))]
    batches.append(("test_batch", b"testing batch 1 of 1", None))
    for name, batch_label, rows in batches:
        data = test_images if rows is None else images[rows]
        batch_labels = _labels(None, len(data)) if rows is None else [labels[i] for i in rows]
        _python2_pickle({
            b"batch_label": batch_label,
            b"labels": batch_labels,
            b"data": np.ascontiguousarray(data.reshape(len(data), 3 * 32 * 32)),
            b"filenames": [b"image_%05d.png" % i for i in range(len(data))],
        }, folder / name)
    _python2_pickle({b"num_cases_per_batch": 10000, b"label_names": [c.encode() for c in CIFAR10_CLASSES],
                     b"num_vis": 3072}, folder / "batches.meta")
    return folder


def write_stl10(root: str | Path, train_images: np.ndarray, unlabeled_images: np.ndarray, train_labels=None,
                test_images: np.ndarray | None = None) -> Path:
    """`<root>/stl10_binary/` with train_X/train_y/unlabeled_X/test_X/test_y.bin, class_names.txt, fold_indices.txt.

    Image files are raw uint8, per image the R, G and B 96x96 planes, each stored column-major; labels are 1..10.
    """
    train_images = _check_images(train_images, 96, "train_images")
    unlabeled_images = _check_images(unlabeled_images, 96, "unlabeled_images")
    test_images = train_images[:10] if test_images is None else _check_images(test_images, 96, "test_images")
    folder = Path(root) / "stl10_binary"
    folder.mkdir(parents=True, exist_ok=True)

    def column_major(images: np.ndarray) -> bytes:
        return np.ascontiguousarray(images.transpose(0, 1, 3, 2)).tobytes()

    (folder / "train_X.bin").write_bytes(column_major(train_images))
    (folder / "train_y.bin").write_bytes(bytes(v + 1 for v in _labels(train_labels, len(train_images))))
    (folder / "unlabeled_X.bin").write_bytes(column_major(unlabeled_images))
    (folder / "test_X.bin").write_bytes(column_major(test_images))
    (folder / "test_y.bin").write_bytes(bytes(v + 1 for v in _labels(None, len(test_images))))
    (folder / "class_names.txt").write_text("\n".join(STL10_CLASSES) + "\n")
    folds = [" ".join(str(i) for i in range(fold, len(train_images), 10)) for fold in range(10)]
    (folder / "fold_indices.txt").write_text("\n".join(folds) + "\n")
    return folder
