"""Speed at the papers' widths (cifar10 profile), each figure a ratio to a baseline timed in the same process.

Baseline: the same modules in plain NCHW float32 with a textbook step (the originals' loop: hinge loss, Adam, D's
weight gradients computed in the G step too, EMA after each G step). Candidates: the harness's `GANTrainer` in fp32,
eager, NCHW (`harness_fp32`: ratio ~1 says the harness adds no cost and saves none; tiny's default), with
`channels_last` (the papers' profiles' default) and with `channels_last` and `precision="bf16"` (opt-in, where the CPU
has bfloat16). Each round times the baseline and every candidate one after the other, so that a load change on this
shared machine hits all of them alike; extra_info holds the mean seconds, images/s and achieved GFLOP/s (FLOPs counted
by `torch.utils.flop_counter.FlopCounterMode`) of each, and `ratio_<candidate>` = baseline seconds / candidate
seconds.

Unit of the training figures: one D step and one G step. A final-training iteration is n_critic = 5 D steps and one
G step: the final-training test also reports it, from the D and G steps timed inside each unit. At the papers'
batches (D 64, G 128) one AutoGAN-A unit took ~80 s on this machine under load, so the batches are a quarter of the
paper's by default (D 16, G 32; widths exact); GANAS_BENCH_FULL=1 runs the papers' batches and
GANAS_BENCH_ROUNDS sets the rounds (default 1, after one untimed warm-up of each). GANAS_BENCH_COMPILE=1 adds
`channels_last_compile` (channels-last with `--compile`) to the final-training units; its compilation falls in the
warm-up. It is off by default: compiling G and D at these widths adds minutes to `make bench`. No timing is asserted.
"""
from __future__ import annotations

import copy
import os
import time

import numpy as np
import pytest
import torch
import torch_fidelity
from torch.utils.flop_counter import FlopCounterMode

from ganas_bench.config import make_config
from ganas_bench.contracts.space import Widths
from ganas_bench.genotype import Genotype
from ganas_bench.metrics import evaluate as ev
from ganas_bench.metrics import extractors
from ganas_bench.metrics import inception_score, untrained_inception_state_dict
from ganas_bench.registry import SPACES, get_architecture
from ganas_bench.training import GANTrainer
from ganas_bench.training.precision import bf16_supported

FULL = os.environ.get("GANAS_BENCH_FULL") == "1"
ROUNDS = int(os.environ.get("GANAS_BENCH_ROUNDS", "1"))
# NCHW named: cifar10's default is channels-last, and each variant here says its layout itself
CFG = make_config(profile="cifar10", overrides={"device": "cpu", "channels_last": False})
D_BATCH, G_BATCH = (CFG.d_batch, CFG.g_batch) if FULL else (CFG.d_batch // 4, CFG.g_batch // 4)
OPT_INS = {"channels_last": dict(channels_last=True), "channels_last_bf16": dict(channels_last=True, precision="bf16")}
COMPILED = {"channels_last_compile": dict(channels_last=True, compile=True)} if os.environ.get(
    "GANAS_BENCH_COMPILE") == "1" else {}


# --- the textbook step
class TextbookStep:
    """The originals' step on plain NCHW float32 modules: no harness, nothing frozen, EMA after the G step."""

    def __init__(self, G, D, latent_dim: int, ema_decay: float):
        self.G, self.D, self.latent_dim, self.decay = G, D, latent_dim, ema_decay
        self.opt_g = torch.optim.Adam(G.parameters(), lr=CFG.lr_g, betas=(CFG.beta1, CFG.beta2))
        self.opt_d = torch.optim.Adam(D.parameters(), lr=CFG.lr_d, betas=(CFG.beta1, CFG.beta2))
        self.ema = [p.detach().clone() for p in G.parameters()] if ema_decay else None

    def d_step(self, real):
        with torch.no_grad():
            fake = self.G(torch.randn(real.shape[0], self.latent_dim))
        loss = torch.relu(1 - self.D(real)).mean() + torch.relu(1 + self.D(fake)).mean()
        self.opt_d.zero_grad()
        loss.backward()
        self.opt_d.step()

    def g_step(self):
        loss = -self.D(self.G(torch.randn(G_BATCH, self.latent_dim))).mean()
        self.opt_g.zero_grad()
        loss.backward()
        self.opt_g.step()
        if self.ema is not None:
            with torch.no_grad():
                for avg, p in zip(self.ema, self.G.parameters()):
                    avg.mul_(self.decay).add_(p.detach(), alpha=1 - self.decay)


def candidates(G, D, cfg, **trainer_kwargs) -> dict[str, GANTrainer]:
    """The harness's trainer at its default and with each opt-in this CPU runs, each on its own copy of G and D."""
    names = {"harness_fp32": {}, **{k: v for k, v in OPT_INS.items() if v.get("precision") != "bf16" or
                                   bf16_supported(torch.device("cpu"))}, **COMPILED}
    return {name: GANTrainer(copy.deepcopy(G), copy.deepcopy(D), cfg.replace(**changes), torch.device("cpu"),
                             **trainer_kwargs) for name, changes in names.items()}


def step_flops(G, D, latent_dim: int, image_size: int, batch: int = 2) -> tuple[int, int]:
    """FLOPs of one textbook D step (D_BATCH) and of one G step (G_BATCH), forward and backward, counted at `batch`
    images and scaled (every layer here is linear in the batch)."""
    step = TextbookStep(copy.deepcopy(G), copy.deepcopy(D), latent_dim, 0.0)
    with FlopCounterMode(display=False) as counter:
        step.d_step(real_batch(image_size, batch))
    d_flops = counter.get_total_flops()
    with FlopCounterMode(display=False) as counter:
        (-step.D(step.G(torch.randn(batch, latent_dim))).mean()).backward()
    return int(d_flops * D_BATCH / batch), int(counter.get_total_flops() * G_BATCH / batch)


def unit_flops(G, D, latent_dim: int, image_size: int, batch: int = 2) -> int:
    """FLOPs of one D step and one G step (`step_flops`)."""
    return sum(step_flops(G, D, latent_dim, image_size, batch))


def alternate(benchmark, report, runners: dict, images: int, flops: int | None, rounds: int = ROUNDS) -> None:
    """Warm each runner once, then `rounds` rounds of every runner in turn; per runner: seconds, images/s, GFLOP/s
    and the ratio to the baseline, in extra_info and one summary line each (`report`)."""
    for run in runners.values():
        run()
    times = {name: [] for name in runners}

    def one_round():
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)

    benchmark.pedantic(one_round, rounds=rounds, iterations=1)
    info = benchmark.extra_info
    info.update(rounds=rounds, images_per_unit=images or None, flops_per_unit=flops, threads=torch.get_num_threads(),
                load_average=os.getloadavg()[0])
    for name, values in times.items():
        seconds = float(np.mean(values))
        info[f"s_{name}"] = round(seconds, 3)
        if images:
            info[f"images_per_s_{name}"] = round(images / seconds, 2)
        if flops:
            info[f"gflops_per_s_{name}"] = round(flops / seconds / 1e9, 1)
        if name != "baseline" and "baseline" in times:
            info[f"ratio_{name}"] = round(info["s_baseline"] / seconds, 3)
        report(f"{name:<19} {seconds:9.3f} s  " + (f"{images / seconds:9.1f} img/s" if images else "")
               + (f"  {flops / seconds / 1e9:7.1f} GFLOP/s" if flops else "")
               + (f"  ratio {info[f'ratio_{name}']:.2f}" if f"ratio_{name}" in info else "")
               + f"  (rounds {rounds}, load {info['load_average']:.1f})")


def real_batch(image_size: int, batch: int) -> torch.Tensor:
    return torch.rand(batch, 3, image_size, image_size, generator=torch.Generator().manual_seed(0)) * 2 - 1


def report_iterations(benchmark, report, split: dict, flops: tuple[int, int], n_critic: int) -> None:
    """A final-training iteration (n_critic D steps, one G step: what the papers and issue 13 count) from the D and G
    steps timed inside each unit, warm-up left out; per runner: seconds, GFLOP/s and the ratio to the baseline."""
    info = benchmark.extra_info
    iteration_flops = n_critic * flops[0] + flops[1]
    seconds = {name: n_critic * float(np.mean(parts["D"][1:])) + float(np.mean(parts["G"][1:]))
               for name, parts in split.items()}
    for name, value in seconds.items():
        info[f"iteration_s_{name}"] = round(value, 3)
        info[f"iteration_gflops_per_s_{name}"] = round(iteration_flops / value / 1e9, 1)
        ratio = seconds["baseline"] / value
        if name != "baseline":
            info[f"iteration_ratio_{name}"] = round(ratio, 3)
        report(f"{name:<19} {value:9.3f} s per iteration ({n_critic} D + 1 G)  {iteration_flops / value / 1e9:7.1f} "
               f"GFLOP/s" + (f"  ratio {ratio:.2f}" if name != "baseline" else ""))


# --- training units
@pytest.mark.parametrize("arch_name", ["autogan_cifar10_a", "adversarialnas_cifar10"])
def test_final_training_unit_at_paper_widths(benchmark, speed_report, arch_name):
    arch = get_architecture(arch_name)
    space = SPACES.get(arch.space)()
    genotype = Genotype(arch.space, arch.choices)
    widths = Widths(CFG.latent_dim, CFG.bottom_width, CFG.gf_dim, CFG.df_dim, 3, CFG.image_size)
    torch.manual_seed(0)
    G, D = space.build_generator(genotype, widths), space.build_discriminator(genotype, widths)
    real = real_batch(CFG.image_size, D_BATCH)
    split = {}  # runner -> {"D": [seconds...], "G": [...]}: the steps inside each timed unit, the warm-up first

    def timed(name, d_step, g_step):
        split[name] = {"D": [], "G": []}

        def unit():
            start = time.perf_counter()
            d_step(real)
            middle = time.perf_counter()
            g_step()
            split[name]["D"].append(middle - start)
            split[name]["G"].append(time.perf_counter() - middle)
        return unit

    baseline = TextbookStep(copy.deepcopy(G), copy.deepcopy(D), CFG.latent_dim, CFG.ema_decay)
    runners = {"baseline": timed("baseline", baseline.d_step, baseline.g_step)}
    for name, trainer in candidates(G, D, CFG.replace(g_batch=G_BATCH)).items():
        runners[name] = timed(name, trainer.d_step, trainer.g_step)
    flops = step_flops(G, D, CFG.latent_dim, CFG.image_size)
    alternate(benchmark, speed_report, runners, 2 * D_BATCH + G_BATCH, sum(flops))
    report_iterations(benchmark, speed_report, split, flops, CFG.n_critic)


@pytest.mark.parametrize("space_name", ["autogan", "adversarialnas"])
def test_weight_sharing_supernet_unit_at_search_widths(benchmark, speed_report, space_name):
    space = SPACES.get(space_name)()
    widths = Widths(CFG.latent_dim, CFG.bottom_width, CFG.search_gf_dim, CFG.search_df_dim, 3, CFG.image_size)
    torch.manual_seed(0)
    shared = space.build_shared(widths)
    shared.set_stage(space.n_stages - 1)
    real = real_batch(CFG.image_size, D_BATCH)
    rng = np.random.default_rng(0)
    nets = {"baseline": copy.deepcopy(shared)}
    baseline = TextbookStep(nets["baseline"].generator, nets["baseline"].discriminator, CFG.latent_dim, 0.0)
    runners = {"baseline": lambda: (nets["baseline"].set_arch(space.sample(rng).choices), baseline.d_step(real),
                                    baseline.g_step())}
    for name, changes in {"harness_fp32": {}, **OPT_INS}.items():
        if changes.get("precision") == "bf16" and not bf16_supported(torch.device("cpu")):
            continue
        nets[name] = copy.deepcopy(shared)
        trainer = GANTrainer(nets[name].generator, nets[name].discriminator,
                             CFG.replace(g_batch=G_BATCH, **changes), torch.device("cpu"), ema=False)
        runners[name] = lambda n=nets[name], t=trainer: (n.set_arch(space.sample(rng).choices), t.d_step(real),
                                                          t.g_step())
    shared.set_arch(space.sample(np.random.default_rng(1)).choices)
    alternate(benchmark, speed_report, runners, 2 * D_BATCH + G_BATCH,
              unit_flops(shared.generator, shared.discriminator, CFG.latent_dim, CFG.image_size))


def test_controller_step(benchmark, speed_report):
    """rl's controller (LSTM, hidden 100) over AutoGAN's 14 decisions: one draw with gradient and one REINFORCE
    update. It is tiny beside a GAN step and has no other variant here: the figure is its time."""
    from ganas_bench.strategies.controller import Controller, Reinforce

    space = SPACES.get("autogan")()
    torch.manual_seed(0)
    controller = Controller([d.n_choices for d in space.decisions()], 100)
    reinforce = Reinforce(controller, 3.5e-4, (0.0, 0.9), 1e-3, 0.9)
    alternate(benchmark, speed_report, {"harness_fp32": lambda: reinforce.step(controller.sample(), 1.0)}, 0,
              None, rounds=max(ROUNDS, 20))


def test_architecture_step_at_search_widths(benchmark, speed_report):
    """differentiable's G-architecture step (hinge G loss through every mixed op of AutoGAN's relaxed generator, Adam
    on G's alphas) at the cifar10 search widths: fp32 (the baseline: it is the original's step) and the opt-ins."""
    from ganas_bench.strategies.differentiable import AdversarialArchSearch

    space = SPACES.get("autogan")()
    cfg = make_config(profile="cifar10", strategy="differentiable", overrides={"device": "cpu", "channels_last": False})
    widths = Widths(CFG.latent_dim, CFG.bottom_width, CFG.search_gf_dim, CFG.search_df_dim, 3, CFG.image_size)
    torch.manual_seed(0)
    relaxed = space.build_relaxed(widths)
    relaxed.set_relaxation(1.0, True)
    runners = {}
    for name, changes in {"baseline": {}, **OPT_INS}.items():
        if changes.get("precision") == "bf16" and not bf16_supported(torch.device("cpu")):
            continue
        net = copy.deepcopy(relaxed)
        run_cfg = cfg.replace(g_batch=G_BATCH, **changes)
        trainer = GANTrainer(net.generator, net.discriminator, run_cfg, torch.device("cpu"), ema=False,
                             g_params=net.weight_parameters_g(), d_params=net.weight_parameters_d())
        runners[name] = AdversarialArchSearch(net, trainer, run_cfg, run_cfg.options).g_arch_step
    alternate(benchmark, speed_report, runners, G_BATCH, None)


# --- feature extraction
@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("inception") / "random-inception.pt"
    torch.save(untrained_inception_state_dict(), path)
    return path


@pytest.mark.parametrize("backbone,n", [("digits-classifier", 1000), ("inception-v3-compat", 50)])
def test_inception_score_of_generated_images(benchmark, speed_report, backbone, n, inception_file):
    """IS of n generated images (the search proxy's work): baseline `torch_fidelity.calculate_metrics`, which builds
    its extractor on every call; candidate ganas_bench's `inception_score` (extractor reused, inference mode). Inception
    weights cannot be downloaded here: the same network with RANDOM weights (same FLOPs, meaningless scores); n 50
    for it (~0.45 s an image on this loaded CPU), so seconds per 1k images = 20 x the figure. Scores are checked
    equal, not timed."""
    side, channels, latent = (16, 1, 32) if backbone == "digits-classifier" else (32, 3, 128)
    arch = get_architecture("autogan_cifar10_a")
    widths = Widths(latent, 2 if side == 16 else 4, 32 if side == 16 else 256, 32, channels, side)
    torch.manual_seed(0)
    G = SPACES.get("autogan")().build_generator(Genotype(arch.space, arch.choices), widths)
    weights = inception_file if backbone == "inception-v3-compat" else None
    kwargs, _ = ev._backbone_setup(backbone, "cpu", weights, 250, 0)
    scores = {}

    def baseline():
        out = torch_fidelity.calculate_metrics(input1=ev._wrap(G, latent, backbone), input1_model_num_samples=n,
                                               isc=True, isc_splits=ev.ISC_SPLITS, **kwargs)
        scores["baseline"] = out["inception_score_mean"]

    def ours():
        scores["ours"] = inception_score(G, latent, n=n, backbone=backbone, device="cpu", inception_weights=weights)[0]

    extractor = extractors.feature_extractor(backbone, ev._backbone_setup(backbone, "cpu", weights, 250, 0)[1], False)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        extractor(ev._wrap(G, latent, backbone)(torch.randn(2, latent)))
    alternate(benchmark, speed_report, {"baseline": baseline, "harness_fp32": ours}, n,
              counter.get_total_flops() * n // 2)
    assert scores["baseline"] == scores["ours"]
