"""CIFAR-10 loading from tiny datasets written in the real on-disk format (Python 2 pickles); nothing downloads."""
import pickle

import numpy as np
import pytest
import torch
import torchvision

from ganas_bench.data import load_real_images
from ganas_bench.data.tiny_datasets import write_cifar10
from ganas_bench.errors import UserError


def ramp_images(n: int) -> np.ndarray:
    """Image i: red = 8 x row, green = 8 x column, blue = i — order, channels and orientation all tell."""
    rows = np.arange(32, dtype=np.uint8)[:, None] * 8
    images = np.empty((n, 3, 32, 32), dtype=np.uint8)
    images[:, 0] = np.broadcast_to(rows, (32, 32))
    images[:, 1] = np.broadcast_to(rows.T, (32, 32))
    images[:, 2] = np.arange(n, dtype=np.uint8)[:, None, None]
    return images


def test_cifar10_images_come_back_in_order_channel_and_orientation(tmp_path):
    written = ramp_images(23)  # uneven split over the five batches: 5, 5, 5, 4, 4
    write_cifar10(tmp_path, written)
    real = load_real_images("cifar10", tmp_path, 32, download=False)
    assert (real.name, real.split, len(real), real.channels, real.image_size) == ("cifar10", "train", 23, 3, 32)
    assert real.uint8.dtype == torch.uint8 and real.uint8.shape == (23, 3, 32, 32)
    assert torch.equal(real.uint8, torch.from_numpy(written))


def test_cifar10_reader_agrees_with_torchvision_on_the_same_files(tmp_path, monkeypatch):
    written = np.random.default_rng(0).integers(0, 256, (12, 3, 32, 32), dtype=np.uint8)
    write_cifar10(tmp_path, written)
    # torchvision insists on the originals' md5s; lift only that check to use it as the reference parser
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *args, **kwargs: True)
    reference = torchvision.datasets.CIFAR10(str(tmp_path), train=True, download=False)
    ours = load_real_images("cifar10", tmp_path, 32)
    assert torch.equal(ours.uint8.permute(0, 2, 3, 1), torch.from_numpy(reference.data))  # torchvision holds HWC


def test_cifar10_fixture_keys_read_as_the_cifar_page_documents(tmp_path):
    folder = write_cifar10(tmp_path, ramp_images(5))
    with open(folder / "data_batch_1", "rb") as f:
        entry = pickle.load(f, encoding="bytes")
    assert set(entry) == {b"batch_label", b"labels", b"data", b"filenames"}
    assert entry[b"data"].dtype == np.uint8 and entry[b"data"].shape == (1, 3072)


def test_cifar10_resizes_to_a_smaller_working_side(tmp_path):
    write_cifar10(tmp_path, ramp_images(10))
    real = load_real_images("cifar10", tmp_path, 16)
    assert real.uint8.shape == (10, 3, 16, 16)
    red = real.uint8[0, 0].to(torch.int64)
    assert (red == red[:, :1]).all() and (red[1:, 0] > red[:-1, 0]).all()  # still a ramp down the rows


def test_missing_cifar10_says_where_it_looked_and_what_to_do(tmp_path, capsys):
    with pytest.raises(UserError) as info:
        load_real_images("cifar10", tmp_path / "nowhere", 32, download=False)
    message = str(info.value)
    assert "\n" not in message
    needles = ("CIFAR-10", str(tmp_path / "nowhere"), "--download", "cifar-10-batches-py", "cifar-10-python.tar.gz")
    for needle in needles:
        assert needle in message
    assert info.value.__context__ is None and capsys.readouterr() == ("", "")  # no chained torchvision error, no output


def test_incomplete_cifar10_names_the_missing_batch(tmp_path):
    folder = write_cifar10(tmp_path, ramp_images(10))
    (folder / "data_batch_4").unlink()
    with pytest.raises(UserError, match="cifar-10-batches-py/data_batch_4"):
        load_real_images("cifar10", tmp_path, 32)


def test_truncated_cifar10_batch_is_a_user_error(tmp_path):
    folder = write_cifar10(tmp_path, ramp_images(10))
    path = folder / "data_batch_3"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(UserError, match="data_batch_3.*corrupt"):
        load_real_images("cifar10", tmp_path, 32)


def test_cifar10_batch_with_wrong_content_is_a_user_error(tmp_path):
    folder = write_cifar10(tmp_path, ramp_images(10))
    (folder / "data_batch_2").write_bytes(pickle.dumps({"data": np.zeros((2, 100), np.uint8)}))
    with pytest.raises(UserError, match="data_batch_2"):
        load_real_images("cifar10", tmp_path, 32)


class _OpensAFile:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (str(self.path), "w")


def test_cifar10_pickle_cannot_run_code(tmp_path):
    folder = write_cifar10(tmp_path, ramp_images(10))
    marker = tmp_path / "ran"
    (folder / "data_batch_1").write_bytes(pickle.dumps({"data": _OpensAFile(marker)}))
    with pytest.raises(UserError, match="data_batch_1"):
        load_real_images("cifar10", tmp_path, 32)
    assert not marker.exists()


def test_download_uses_torchvision_source_and_then_reads_the_files(tmp_path, monkeypatch):
    calls = []

    def fake_download(url, root, filename, md5):
        calls.append((url, filename, md5))
        write_cifar10(root, ramp_images(5))  # what extracting the archive leaves behind

    monkeypatch.setattr(torchvision.datasets.utils, "download_and_extract_archive", fake_download)
    real = load_real_images("cifar10", tmp_path, 32, download=True)
    source = torchvision.datasets.CIFAR10
    assert calls == [(source.url, source.filename, source.tgz_md5)] and len(real) == 5
    load_real_images("cifar10", tmp_path, 32, download=True)  # files present: no second download
    assert len(calls) == 1


def test_failed_download_is_one_line(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(torchvision.datasets.utils, "download_and_extract_archive", offline)
    with pytest.raises(UserError, match="could not download CIFAR-10 .*Network is unreachable") as info:
        load_real_images("cifar10", tmp_path, 32, download=True)
    assert "\n" not in str(info.value)
