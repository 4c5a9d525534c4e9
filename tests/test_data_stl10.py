"""STL-10 loading from tiny datasets written in the real binary format (column-major planes); nothing downloads."""
import numpy as np
import pytest
import torch
import torchvision

import ganas_bench.data.stl10 as stl10_module
from ganas_bench.data import load_real_images
from ganas_bench.data.tiny_datasets import write_stl10
from ganas_bench.errors import UserError


def ramp_images(n: int, first: int = 0) -> np.ndarray:
    """Image i: red = 2 x row, green = 2 x column, blue = first + i — order, channels and orientation all tell."""
    rows = np.arange(96, dtype=np.uint8)[:, None] * 2
    images = np.empty((n, 3, 96, 96), dtype=np.uint8)
    images[:, 0] = np.broadcast_to(rows, (96, 96))
    images[:, 1] = np.broadcast_to(rows.T, (96, 96))
    images[:, 2] = np.arange(first, first + n, dtype=np.uint8)[:, None, None]
    return images


def write_ramps(root, n_train=4, n_unlabeled=7):
    return write_stl10(root, ramp_images(n_train), ramp_images(n_unlabeled, first=n_train))


def test_stl10_train_then_unlabeled_come_back_the_right_way_round(tmp_path):
    write_ramps(tmp_path)
    real = load_real_images("stl10", tmp_path, 96)
    assert (real.name, real.split, len(real), real.channels, real.image_size) == ("stl10", "train+unlabeled", 11, 3, 96)
    assert torch.equal(real.uint8, torch.from_numpy(ramp_images(11)))


def test_stl10_resized_to_48_keeps_the_pattern(tmp_path):
    write_ramps(tmp_path)
    real = load_real_images("stl10", tmp_path, 48)
    assert real.uint8.dtype == torch.uint8 and real.uint8.shape == (11, 3, 48, 48)
    red, green = real.uint8[:, 0].to(torch.int64), real.uint8[:, 1].to(torch.int64)
    assert (red == red[:, :, :1]).all() and (red[:, 1:, 0] > red[:, :-1, 0]).all()  # ramp down the rows
    assert torch.equal(green, red.transpose(1, 2))
    assert torch.equal(real.uint8[:, 2, 0, 0], torch.arange(11, dtype=torch.uint8))
    assert int(red.min()) <= 2 and int(red.max()) >= 187  # the 0..190 range survives


def test_stl10_reader_agrees_with_torchvision_on_the_same_files(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    write_stl10(tmp_path, rng.integers(0, 256, (3, 3, 96, 96), dtype=np.uint8),
                rng.integers(0, 256, (5, 3, 96, 96), dtype=np.uint8))
    # torchvision insists on the originals' md5s; lift only that check to use it as the reference parser
    monkeypatch.setattr(torchvision.datasets.stl10, "check_integrity", lambda *args, **kwargs: True)
    reference = torchvision.datasets.STL10(str(tmp_path), split="train+unlabeled", download=False)
    ours = load_real_images("stl10", tmp_path, 96)
    assert torch.equal(ours.uint8, torch.from_numpy(np.ascontiguousarray(reference.data)))
    assert reference.labels.tolist() == [0, 1, 2] + [-1] * 5


def test_stl10_chunked_conversion_equals_one_pass(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    write_stl10(tmp_path, rng.integers(0, 256, (4, 3, 96, 96), dtype=np.uint8),
                rng.integers(0, 256, (7, 3, 96, 96), dtype=np.uint8))
    whole = load_real_images("stl10", tmp_path, 48)
    monkeypatch.setattr(stl10_module, "RESIZE_CHUNK", 3)  # chunks straddle the train/unlabeled boundary
    assert torch.equal(load_real_images("stl10", tmp_path, 48).uint8, whole.uint8)


def test_missing_stl10_says_where_it_looked_and_what_to_do(tmp_path):
    with pytest.raises(UserError) as info:
        load_real_images("stl10", tmp_path, 48, download=False)
    message = str(info.value)
    assert "\n" not in message
    for needle in ("STL-10", str(tmp_path), "--download", "stl10_binary", "stl10_binary.tar.gz"):
        assert needle in message


def test_missing_unlabeled_file_is_named(tmp_path):
    folder = write_ramps(tmp_path)
    (folder / "unlabeled_X.bin").unlink()
    with pytest.raises(UserError, match="stl10_binary/unlabeled_X.bin"):
        load_real_images("stl10", tmp_path, 48)


@pytest.mark.parametrize("keep_bytes", [0, 27648 * 2 + 100])
def test_truncated_stl10_binary_is_a_user_error(tmp_path, keep_bytes):
    folder = write_ramps(tmp_path)
    path = folder / "train_X.bin"
    path.write_bytes(path.read_bytes()[:keep_bytes])
    with pytest.raises(UserError, match="train_X.bin.*corrupt"):
        load_real_images("stl10", tmp_path, 48)
