"""The inception-v3-compat backbone driven through the real weight-loading code, offline.

The weights here are RANDOM (torch-fidelity's Inception with He-initialised layers, written to a temporary file): the
IS / FID / KID they give are meaningless. These tests only check that the loading code accepts a file with the right
keys, that the numbers come out finite with every key present, and that wrong or missing files become one UserError.
"""
import math
import urllib.error

import pytest
import torch
from torch import nn

from ganas_bench.errors import UserError
from ganas_bench.metrics import evaluate_generator, untrained_inception_state_dict
from ganas_bench.metrics.inception_weights import WEIGHTS_FILENAME, resolve_inception_weights


class TinyRGBGenerator(nn.Module):
    def __init__(self, latent_dim=8):
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(latent_dim, 3 * 32 * 32)

    def forward(self, z):
        return torch.tanh(self.linear(z)).view(-1, 3, 32, 32)


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("inception") / "random-inception.pt"
    torch.save(untrained_inception_state_dict(), path)
    return path


def test_inception_backbone_runs_on_a_random_weights_file_with_the_right_keys(random_weights, tmp_path):
    real = (torch.rand(10, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 255).to(torch.uint8)
    result = evaluate_generator(
        TinyRGBGenerator(), 8, real, n_fake=10, backbone="inception-v3-compat", device="cpu", kid_subset_size=5,
        reference_split="random-rgb", inception_weights=random_weights, cache_name="random-rgb", cache_dir=tmp_path,
        batch_size=10,
    )
    # meaningless values from random weights: only finiteness and the record are checked
    for key in ("is_mean", "is_std", "fid", "kid_mean", "kid_std"):
        assert math.isfinite(result[key]), key
    assert result["backbone"] == "inception-v3-compat" and result["feature_layer"] == "2048"
    assert result["n_fake"] == result["n_real"] == 10 and result["reference_split"] == "random-rgb"
    assert result["backbone_weights"].startswith("random-inception.pt:") and "3x32x32-n10" in result["cache_key"]


def test_inception_weights_with_wrong_keys_are_refused_naming_the_file(tmp_path):
    path = tmp_path / "resnet.pt"
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7)}, path)
    with pytest.raises(UserError, match=rf"resnet.pt.*not an inception-v3-compat state dict.*{WEIGHTS_FILENAME}"):
        resolve_inception_weights(path)


def test_inception_weights_that_need_unsafe_unpickling_are_refused(tmp_path):
    path = tmp_path / "pickled-module.pt"
    torch.save(nn.Linear(2, 2), path)  # a whole module, not a state dict: weights_only=True will not load it
    with pytest.raises(UserError, match="pickled-module.pt.*weights_only=True"):
        resolve_inception_weights(path)


def test_missing_inception_weights_without_network_say_what_to_download_and_where(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    with pytest.raises(UserError) as error:
        resolve_inception_weights(None)
    message = str(error.value)
    assert "\n" not in message and "no network" in message and "--inception-weights" in message
    assert str(tmp_path / "hub" / "checkpoints" / WEIGHTS_FILENAME) in message and "https://" in message
    with pytest.raises(UserError, match="does not exist"):
        resolve_inception_weights(tmp_path / "nowhere.pt")
