"""The feature extractor is built once per process and reused, and the numbers are torch-fidelity's own, bit for bit.

`calculate_metrics` builds its extractor on every call; ganas_bench keeps one per backbone, weights file and device
(ganas_bench/metrics/extractors.py). Compared here with `torch_fidelity.calculate_metrics` given the same arguments,
on the digits backbone and on Inception with random weights (offline; the values mean nothing, equality does).
"""
import os

import pytest
import torch
import torch_fidelity
from torch import nn

from ganas_bench.data.digits import load_digits_images
from ganas_bench.metrics import evaluate_generator, inception_score, untrained_inception_state_dict
from ganas_bench.metrics import evaluate as ev
from ganas_bench.metrics import extractors
from ganas_bench.metrics.generated_images import UInt8Images

SCORES = {"is_mean": "inception_score_mean", "is_std": "inception_score_std", "fid": "frechet_inception_distance",
          "kid_mean": "kernel_inception_distance_mean", "kid_std": "kernel_inception_distance_std"}


class LinearGenerator(nn.Module):
    def __init__(self, channels: int, side: int, latent_dim: int = 8):
        super().__init__()
        torch.manual_seed(0)
        self.shape = (channels, side, side)
        self.linear = nn.Linear(latent_dim, channels * side * side)

    def forward(self, z):
        return torch.tanh(self.linear(z)).view(-1, *self.shape)


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("inception") / "random-inception.pt"
    torch.save(untrained_inception_state_dict(), path)
    return path


def fidelity_reference(generator, real, backbone, weights, n_fake, kid_subset_size, cache_dir, cache_key):
    """What torch-fidelity's own `calculate_metrics` gives with the arguments `evaluate_generator` uses."""
    kwargs, _ = ev._backbone_setup(backbone, "cpu", weights, 250, 0)
    return torch_fidelity.calculate_metrics(
        input1=ev._wrap(generator, 8, backbone), input1_model_num_samples=n_fake,
        input2=UInt8Images(real, ev.BACKBONE_CHANNELS[backbone]), input2_cache_name=cache_key, cache=True,
        cache_root=str(cache_dir), isc=True, fid=True, kid=True, isc_splits=ev.ISC_SPLITS, kid_subsets=ev.KID_SUBSETS,
        kid_subset_size=kid_subset_size, **kwargs)


@pytest.mark.parametrize("backbone", ["digits-classifier", "inception-v3-compat"])
def test_scores_equal_torch_fidelity_calculate_metrics_exactly(backbone, inception_file, tmp_path):
    if backbone == "digits-classifier":
        real, generator, weights, n_fake = load_digits_images(16).uint8[:200], LinearGenerator(1, 16), None, 120
    else:
        real = (torch.rand(12, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 255).to(torch.uint8)
        generator, weights, n_fake = LinearGenerator(3, 32), inception_file, 12
    ours = [evaluate_generator(generator, 8, real, n_fake=n_fake, backbone=backbone, device="cpu", kid_subset_size=10,
                               reference_split="r", cache_name="r", cache_dir=tmp_path / "ours",
                               inception_weights=weights) for _ in range(2)]  # computed, then from the cache
    theirs = fidelity_reference(generator, real, backbone, weights, n_fake, 10, tmp_path / "theirs",
                                ours[0]["cache_key"])
    for result in ours:
        assert {key: result[key] for key in SCORES} == {key: theirs[name] for key, name in SCORES.items()}
    is_ours = inception_score(generator, 8, n=n_fake, backbone=backbone, device="cpu", inception_weights=weights)
    kwargs, _ = ev._backbone_setup(backbone, "cpu", weights, 250, 0)
    is_theirs = torch_fidelity.calculate_metrics(input1=ev._wrap(generator, 8, backbone),
                                                 input1_model_num_samples=n_fake, isc=True,
                                                 isc_splits=ev.ISC_SPLITS, **kwargs)
    assert is_ours == (is_theirs["inception_score_mean"], is_theirs["inception_score_std"])


def test_the_extractor_is_built_once_per_backbone_weights_and_device(monkeypatch, inception_file):
    built = []
    real_create = extractors.create_feature_extractor
    monkeypatch.setattr(extractors, "create_feature_extractor",
                        lambda *a, **k: built.append(a[0]) or real_create(*a, **k))
    extractors._BUILT.clear()
    generator = LinearGenerator(1, 16)
    for seed in range(3):
        inception_score(generator, 8, n=20, backbone="digits-classifier", device="cpu", seed=seed)
    assert built == ["digits-classifier"]
    rgb = LinearGenerator(3, 32)
    for _ in range(2):
        inception_score(rgb, 8, n=10, backbone="inception-v3-compat", device="cpu", inception_weights=inception_file)
    assert built == ["digits-classifier", "inception-v3-compat"]


def test_a_rewritten_weights_file_gets_a_new_extractor(tmp_path):
    path = tmp_path / "inception.pt"
    torch.save(untrained_inception_state_dict(), path)
    first = extractors.feature_extractor("inception-v3-compat", path, cuda=False)
    assert extractors.feature_extractor("inception-v3-compat", path, cuda=False) is first
    torch.save({k: v + 1 if v.is_floating_point() else v for k, v in untrained_inception_state_dict().items()}, path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # same size; the clock tick may not have moved
    second = extractors.feature_extractor("inception-v3-compat", path, cuda=False)
    assert second is not first
    key = "Conv2d_1a_3x3.conv.weight"
    assert not torch.equal(first.state_dict()[key], second.state_dict()[key])


@pytest.mark.parametrize("backbone", ["digits-classifier", "inception-v3-compat"])
def test_reuse_moves_the_global_rng_exactly_as_building_the_extractor_does(backbone, inception_file):
    """rl draws its tokens from the global RNG after each reward: a reused extractor must leave it where
    calculate_metrics (which builds one, initialising its layers from that RNG) leaves it."""
    side, channels = (16, 1) if backbone == "digits-classifier" else (32, 3)
    weights = inception_file if backbone == "inception-v3-compat" else None
    generator = LinearGenerator(channels, side)
    kwargs, _ = ev._backbone_setup(backbone, "cpu", weights, 250, 0)
    inception_score(generator, 8, n=10, backbone=backbone, device="cpu", inception_weights=weights)  # built
    states = []
    for reused in (True, False):
        torch.manual_seed(123)
        if reused:
            inception_score(generator, 8, n=10, backbone=backbone, device="cpu", inception_weights=weights)
        else:
            torch_fidelity.calculate_metrics(input1=ev._wrap(generator, 8, backbone), input1_model_num_samples=10,
                                             isc=True, isc_splits=ev.ISC_SPLITS, **kwargs)
        states.append(torch.get_rng_state())
    assert torch.equal(*states)
    assert not torch.equal(states[0], torch.manual_seed(123).get_state())  # building does draw: the test can fail
