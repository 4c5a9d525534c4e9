"""The speed settings (--precision, --channels-last, --compile; channels-last is on by default on the papers' profiles):
hashes that do not move at their defaults, refusals before anything is written, and steps that train under them.
GPU: tests/test_speed_cuda.py."""
import json
from pathlib import Path

import pytest
import torch
from torch import nn

from cli_contract import refused
from ganas_bench.config import profile_defaults
from ganas_bench.errors import UserError
from ganas_bench.config import make_config
from ganas_bench.contracts.space import Widths
from ganas_bench.genotype import Genotype
from ganas_bench.registry import SPACES, get_architecture
from ganas_bench.runs.identity import NEUTRAL_DEFAULTS, config_hash, differing_settings, experiment_hash
from ganas_bench.training import GANTrainer, xavier_init
from ganas_bench.training import precision as prec
from ganas_bench.training.compiled import CompiledOrEager

REFERENCES = Path(__file__).resolve().parent.parent / "results" / "reference"


# ------------------------------------------------------------------------------------------ identity
def test_a_config_without_the_new_fields_and_one_at_their_defaults_hash_alike():
    new = make_config(profile="tiny", strategy="rl").to_dict()
    assert set(NEUTRAL_DEFAULTS) <= set(new)
    old = {k: v for k, v in new.items() if k not in NEUTRAL_DEFAULTS}
    assert config_hash(old) == config_hash(new) and experiment_hash(old) == experiment_hash(new)
    assert differing_settings(old, new) == [] and differing_settings(new, old) == []


@pytest.mark.parametrize("change", [{"precision": "bf16"}, {"precision": "fp16"}, {"channels_last": True},
                                    {"compile": True}])
def test_a_non_default_speed_setting_hashes_differently(change):
    base = make_config(profile="tiny", strategy="rl")
    other = base.replace(**change)
    assert config_hash(other.to_dict()) != config_hash(base.to_dict())
    assert experiment_hash(other.to_dict()) != experiment_hash(base.to_dict())
    name, value = next(iter(change.items()))
    assert differing_settings(base.to_dict(), other.to_dict()) == [f"{name}={NEUTRAL_DEFAULTS[name]!r} (now {value!r})"]


def test_the_papers_profiles_default_to_channels_last_and_the_committed_profiles_do_not():
    """channels-last pays at the papers' widths (README: Speed); tiny's and smoke's committed runs were made NCHW."""
    assert profile_defaults("cifar10").channels_last and profile_defaults("stl10").channels_last
    assert not profile_defaults("tiny").channels_last and not profile_defaults("smoke").channels_last
    paper = make_config(profile="cifar10", strategy="rl")
    nchw = make_config(profile="cifar10", strategy="rl", overrides={"channels_last": False})
    assert not nchw.channels_last and experiment_hash(nchw.to_dict()) != experiment_hash(paper.to_dict())


@pytest.mark.parametrize("reference", sorted(p.name for p in REFERENCES.glob("*.json")))
def test_the_committed_references_keep_their_config_hashes(reference, tmp_path):
    record = json.loads((REFERENCES / reference).read_text())
    cfg = make_config(profile="smoke", overrides={"seed": record["seed"], "results_dir": str(tmp_path),
                                                  "device": "cpu"}, strategy=record["strategy"])
    assert config_hash(cfg.to_dict()) == record["config_hash"]


# ------------------------------------------------------------------------------------------ refusals
@pytest.fixture
def results(tmp_path):
    folder = tmp_path / "results"
    (folder / "runs").mkdir(parents=True)
    return folder


@pytest.mark.parametrize("value,fragment", [("fp64", "invalid precision='fp64'"),
                                            ("fp16", "invalid precision='fp16' on cpu (fp16 needs a CUDA device)")])
def test_a_precision_the_device_does_not_take_is_refused_before_any_run_directory(results, value, fragment):
    refused(["train", "--arch", "autogan_cifar10_a", "--profile", "smoke", "--device", "cpu", "--precision", value,
             "--results-dir", results / "runs"], results, fragment)


def test_bf16_on_a_cpu_without_native_bfloat16_is_refused_naming_what_is_accepted(monkeypatch, results):
    monkeypatch.setattr(prec, "bf16_supported", lambda device: False)
    with pytest.raises(UserError, match=r"invalid precision='bf16' on cpu \(this cpu has no native bfloat16\); "
                                        r"accepted here: fp32$"):
        prec.check_precision("bf16", torch.device("cpu"))
    refused(["train", "--arch", "autogan_cifar10_a", "--profile", "smoke", "--device", "cpu", "--precision", "bf16",
             "--results-dir", results / "runs"], results, "invalid precision='bf16' on cpu")


def test_autocast_takes_its_device_type_from_the_device_and_fp32_has_none():
    assert not torch.is_autocast_enabled("cpu")
    with prec.autocast("fp32", torch.device("cpu")):
        assert not torch.is_autocast_enabled("cpu")
    with prec.autocast("bf16", torch.device("cpu")):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
    assert prec.grad_scaler("fp16", torch.device("cpu")) is None and prec.grad_scaler("fp32", torch.device("cpu")) is None


# ------------------------------------------------------------------------------------------ the steps
class ConvG(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.fc = nn.Linear(latent, 8 * 4 * 4)
        self.conv = nn.Conv2d(8, 1, 3, padding=1)

    def forward(self, z):
        x = nn.functional.interpolate(self.fc(z).view(-1, 8, 4, 4), scale_factor=2)
        return torch.tanh(self.conv(x))


class ConvD(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 8 * 8, 1)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def train(steps=2, **changes):
    cfg = profile_defaults("smoke").replace(**changes)
    torch.manual_seed(0)
    trainer = GANTrainer(xavier_init(ConvG(cfg.latent_dim)), xavier_init(ConvD()), cfg, torch.device("cpu"))
    real = torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1
    losses = [loss for _ in range(steps) for loss in (trainer.d_step(real), trainer.g_step())]
    return trainer, losses


def test_channels_last_lays_out_g_d_and_their_ema_and_trains_to_nearly_the_same_numbers():
    plain, plain_losses = train()
    last, last_losses = train(channels_last=True)
    for net in (last.G, last.D, last.ema.model):
        assert net.conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not plain.G.conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert plain_losses == pytest.approx(last_losses, rel=1e-4, abs=1e-5)


@pytest.mark.skipif(not prec.bf16_supported(torch.device("cpu")), reason="this CPU has no native bfloat16")
def test_bf16_trains_in_autocast_with_float32_weights():
    trainer, losses = train(precision="bf16")
    _, plain_losses = train()
    assert torch.isfinite(torch.tensor(losses)).all()
    assert trainer.G.conv.weight.dtype == torch.float32  # autocast computes in bf16, the weights stay fp32
    assert losses != plain_losses  # bf16 arithmetic did happen (fp32 would repeat the plain numbers exactly)


def failing_compile(module, **kwargs):
    """What torch.compile gives where its backend cannot build: a callable that raises a dynamo error when called."""
    def call(*args, **kw):
        raise torch._dynamo.exc.TorchDynamoException("no C++ compiler here")
    return call


def test_a_module_that_cannot_compile_runs_eagerly_and_says_so_once(monkeypatch):
    monkeypatch.setattr(torch, "compile", failing_compile)
    reports = []
    net = nn.Linear(3, 2)
    wrapped = CompiledOrEager(net, "G", reports.append)
    x = torch.ones(1, 3)
    assert torch.equal(wrapped(x), net(x)) and torch.equal(wrapped(x), net(x))
    assert len(reports) == 1 and reports[0] == "torch.compile of G failed, running it eagerly: no C++ compiler here"


def test_an_error_that_is_not_a_compile_error_is_not_swallowed(monkeypatch):
    monkeypatch.setattr(torch, "compile", lambda module, **kwargs: module)
    wrapped = CompiledOrEager(nn.Linear(3, 2), "D")
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        wrapped(torch.ones(1, 4))
    assert wrapped.failed is None


def test_compile_falls_back_in_the_trainer_to_the_eager_numbers(monkeypatch):
    monkeypatch.setattr(torch, "compile", failing_compile)
    _, compiled_losses = train(compile=True)
    _, eager_losses = train()
    assert compiled_losses == eager_losses


@pytest.mark.slow
def test_a_real_compile_trains_to_nearly_the_eager_numbers_or_falls_back_saying_why():
    """torch.compile itself (inductor needs a C++ compiler; where it has none the fallback must say so)."""
    reports = []
    cfg = profile_defaults("smoke").replace(compile=True)
    torch.manual_seed(0)
    trainer = GANTrainer(xavier_init(ConvG(cfg.latent_dim)), xavier_init(ConvD()), cfg, torch.device("cpu"),
                         report=reports.append)
    real = torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1
    losses = [loss for _ in range(2) for loss in (trainer.d_step(real), trainer.g_step())]
    _, eager_losses = train()
    assert losses == pytest.approx(eager_losses, rel=1e-4, abs=1e-5)
    assert all(r.startswith("torch.compile of ") for r in reports)


@pytest.mark.slow
def test_a_real_compile_of_autogans_d_trains_to_nearly_the_eager_numbers():
    """D's two passes of a D step are compiled as one graph. Compiled one by one, the backward of every AutoGAN D
    failed ("modified by an inplace operation": spectral norm's power iteration updates `u` in place on each pass),
    and with it `train --compile` of every AutoGAN architecture."""
    cfg = profile_defaults("smoke")
    arch = get_architecture("autogan_cifar10_a")
    space = SPACES.get(arch.space)()
    genotype = Genotype(arch.space, arch.choices)
    widths = Widths(cfg.latent_dim, cfg.bottom_width, cfg.gf_dim, cfg.df_dim, 1, cfg.image_size)
    size = cfg.image_size
    real = torch.rand(cfg.d_batch, 1, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1
    runs = {}
    for compiled in (False, True):
        reports = []
        torch.manual_seed(0)
        G, D = space.build_generator(genotype, widths), space.build_discriminator(genotype, widths)
        trainer = GANTrainer(G, D, cfg.replace(compile=compiled), torch.device("cpu"), report=reports.append)
        losses = [trainer.d_step(real), trainer.d_step(real), trainer.g_step()]
        runs[compiled] = losses, [b.clone() for b in trainer.D.buffers()], reports
    (eager, eager_u, _), (compiled, compiled_u, reports) = runs[False], runs[True]
    assert reports == []  # it compiled, not fell back
    assert compiled == pytest.approx(eager, rel=1e-4, abs=1e-5)
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(compiled_u, eager_u))
