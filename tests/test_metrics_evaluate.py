"""IS / FID / KID through torch-fidelity with the digits-classifier backbone: sanity, determinism, caching, checks."""
import pytest
import torch
from torch import nn

from ganas_bench.data.digits import digits_split, load_digits_images
from ganas_bench.errors import UserError
from ganas_bench.metrics import evaluate_generator, inception_score, quantise

KEYS = {"is_mean", "is_std", "fid", "kid_mean", "kid_std", "n_fake", "n_real", "backbone", "reference_split"}


class ReplayGenerator(nn.Module):
    """Ignores z and replays stored uint8 images in order, as floats that quantise back to exactly the same bytes."""

    def __init__(self, images: torch.Tensor):
        super().__init__()
        self.images, self.position = images, 0

    def forward(self, z):
        index = (torch.arange(z.shape[0]) + self.position) % len(self.images)
        self.position += z.shape[0]
        return (self.images[index].float() + 0.5) / 127.5 - 1.0


class ConstantGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.value = nn.Parameter(torch.zeros(1, 1, 16, 16))

    def forward(self, z):
        return self.value.expand(z.shape[0], -1, -1, -1)


class NoiseGenerator(nn.Module):
    """Uniform noise images, a deterministic function of z."""

    def forward(self, z):
        seed = int(z.abs().sum().item() * 1000) % 2**31
        return torch.rand(z.shape[0], 1, 16, 16, generator=torch.Generator().manual_seed(seed)) * 2 - 1


class SmallGenerator(nn.Module):
    """A random DCGAN-like generator with batch norm (train/eval mode matters for it)."""

    def __init__(self, side: int = 16, latent_dim: int = 16):
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 32 * (side // 4) ** 2), nn.Unflatten(1, (32, side // 4, side // 4)),
            nn.BatchNorm2d(32), nn.ReLU(), nn.Upsample(scale_factor=4), nn.Conv2d(32, 1, 3, padding=1), nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z)


@pytest.fixture(scope="module")
def digits():
    images, split = load_digits_images(16).uint8, digits_split()
    return images[split.train], images[split.test]


def evaluate(generator, real, n_fake, **kwargs):
    kwargs = {"kid_subset_size": min(100, n_fake), "reference_split": "digits-train", **kwargs}
    return evaluate_generator(generator, 16, real, n_fake=n_fake, backbone="digits-classifier", device="cpu", **kwargs)


def test_real_digits_have_a_high_inception_score(digits):
    train, _ = digits
    mean, std = inception_score(ReplayGenerator(train), 16, n=len(train), backbone="digits-classifier", device="cpu")
    assert mean > 9.5 and 0 < std < 0.5


def test_constant_and_noise_generators_score_far_from_held_out_real_digits(digits):
    train, held_out = digits
    real = evaluate(ReplayGenerator(held_out), train, n_fake=len(held_out))
    constant = evaluate(ConstantGenerator(), train, n_fake=len(held_out))
    noise = evaluate(NoiseGenerator(), train, n_fake=len(held_out))
    assert KEYS <= set(real) and real["n_fake"] == 297 and real["n_real"] == 1500
    assert real["is_mean"] > 7.5 and real["fid"] < 15
    assert constant["is_mean"] == pytest.approx(1.0, abs=1e-6) and noise["is_mean"] < 3
    for bad in (constant, noise):
        assert bad["fid"] > 20 * real["fid"] and bad["kid_mean"] > 20 * abs(real["kid_mean"])


def test_evaluation_is_deterministic_and_restores_the_generators_modes(digits):
    train, _ = digits
    generator = SmallGenerator().train()
    generator.net[2].eval()  # one module deliberately in eval mode: must stay so
    first, second = evaluate(generator, train, n_fake=200), evaluate(generator, train, n_fake=200)
    assert first == second
    assert generator.training and not generator.net[2].training
    assert inception_score(generator, 16, n=100, backbone="digits-classifier", device="cpu") == \
        inception_score(generator, 16, n=100, backbone="digits-classifier", device="cpu")


def test_small_generated_images_are_resized_for_the_digits_backbone(digits):
    train, held_out = digits
    small = load_digits_images(8).uint8[digits_split().test]  # the held-out digits as an 8 px generator would draw them
    result = evaluate(ReplayGenerator(small), train, n_fake=len(small))
    same_at_16 = evaluate(ReplayGenerator(held_out), train, n_fake=297)
    # 8 px digits upsampled inside the extractor land (almost) on the 16 px data pipeline's images
    assert result["fid"] == pytest.approx(same_at_16["fid"], rel=0.05)
    assert result["is_mean"] == pytest.approx(same_at_16["is_mean"], rel=0.05)


def test_real_statistics_cache_separates_unlike_real_data(digits, tmp_path):
    train, held_out = digits
    generator = SmallGenerator()
    first = evaluate(generator, train, n_fake=100, cache_name="digits-train", cache_dir=tmp_path)
    files = set(tmp_path.iterdir())
    assert files and all(first["cache_key"] in f.name for f in files)
    assert evaluate(generator, train, n_fake=100, cache_name="digits-train", cache_dir=tmp_path) == first
    assert set(tmp_path.iterdir()) == files  # second call read the cache
    fewer = evaluate(generator, train[:1000], n_fake=100, cache_name="digits-train", cache_dir=tmp_path)
    other_bytes = evaluate(generator, torch.cat([held_out, train[297:]]), n_fake=100, cache_name="digits-train",
                           cache_dir=tmp_path)
    keys = {first["cache_key"], fewer["cache_key"], other_bytes["cache_key"]}
    assert len(keys) == 3 and "n1000" in fewer["cache_key"] and "1x16x16" in first["cache_key"]
    assert fewer["fid"] != first["fid"] and other_bytes["fid"] != first["fid"]


def test_quantisation_truncates_like_the_papers():
    x = torch.tensor([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0])
    assert quantise(x).tolist() == [0, 0, 127, 191, 255, 255]  # 127.5 -> 127 and 191.25 -> 191: truncation
    assert quantise(x).dtype == torch.uint8


@pytest.mark.parametrize("change, bad", [
    (dict(backbone="vgg16"), "vgg16"),
    (dict(kid_subset_size=400), "kid_subset_size=400"),
    (dict(n_fake=5), "n_fake=5"),
    (dict(real_uint8=torch.zeros(20, 1, 16, 16)), "torch.float32"),
    (dict(cache_name="a/b"), "a/b"),
    (dict(device="gpu"), "gpu"),
])
def test_bad_evaluation_inputs_are_user_errors_naming_the_value(digits, change, bad):
    train, _ = digits
    args = dict(real_uint8=train[:300], n_fake=300, backbone="digits-classifier", device="cpu", kid_subset_size=100,
                reference_split="digits-train")
    args.update(change)
    with pytest.raises(UserError, match=bad):
        evaluate_generator(ConstantGenerator(), 16, **args)


def test_images_with_channels_the_backbone_does_not_take_are_refused(digits):
    train, _ = digits
    rgb = (torch.rand(300, 3, 16, 16) * 255).to(torch.uint8)
    with pytest.raises(UserError, match="3 channels; the digits-classifier backbone takes 1"):
        evaluate(ConstantGenerator(), rgb, n_fake=100)
    rgb_generator = SmallGenerator()
    rgb_generator.net[5] = nn.Conv2d(32, 3, 3, padding=1)
    with pytest.raises(UserError, match=r"uint8 grey images \(N, 1, H, W\), got torch.uint8 \(100, 3, 16, 16\)"):
        evaluate(rgb_generator, train, n_fake=100)
