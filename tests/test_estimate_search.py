"""`estimate` and `run --dry-run`: FLOPs of a search and of a final training counted on the harness's own steps, the
step counts of each built-in strategy's schedule checked against what real runs recorded, and the rate's provenance."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cli_contract import refused, tree_state
from ganas_bench.cli import main
from ganas_bench.config import make_config
from ganas_bench.estimate import estimate_search, hours
from ganas_bench.flop_counts import COUNT_BATCH, backbone_flops_per_image, counted, gan_step_flops
from ganas_bench.genotype import Genotype
from ganas_bench.registry import SPACES, get_architecture
from ganas_bench.contracts.space import Widths
from ganas_bench.training import GANTrainer

MATRIX = Path(__file__).resolve().parent.parent / "results" / "matrix" / "tiny"
SMOKE = ["--profile", "smoke", "--device", "cpu"]


def smoke_pair(space_name="autogan"):
    cfg = make_config(profile="smoke")
    space = SPACES.get(space_name)()
    arch = next(a for a in sorted(space.published()))
    genotype = space.published()[arch]
    widths = Widths(cfg.latent_dim, cfg.bottom_width, cfg.gf_dim, cfg.df_dim, cfg.channels, cfg.image_size)
    return cfg, space.build_generator(genotype, widths), space.build_discriminator(genotype, widths)


def test_counted_step_flops_are_proportional_to_the_batch():
    """The scaling every estimate rests on: a D step on twice the batch counts exactly twice the FLOPs."""
    cfg, G, D = smoke_pair()
    trainer = GANTrainer(G, D, cfg, torch.device("cpu"), ema=False)
    real = torch.zeros(2 * COUNT_BATCH, cfg.channels, cfg.image_size, cfg.image_size)
    assert counted(lambda: trainer.d_step(real)) == 2 * counted(lambda: trainer.d_step(real[:COUNT_BATCH]))
    per_sample = gan_step_flops(G, D, cfg, cfg.image_size, cfg.channels)
    assert per_sample.d_step * 2 * COUNT_BATCH == counted(lambda: trainer.d_step(real))
    assert 0 < per_sample.sample < per_sample.g_step


def test_counting_leaves_the_global_rng_where_it_was():
    cfg, G, D = smoke_pair()
    torch.manual_seed(3)
    gan_step_flops(G, D, cfg, cfg.image_size, cfg.channels)
    after = torch.rand(1)
    torch.manual_seed(3)
    assert torch.equal(after, torch.rand(1))


def test_backbone_flops_are_the_hand_count_and_inceptions_published_size():
    # digits classifier: conv 1->16 at 16x16, conv 16->32 at 8x8 (3x3), fc 512->128, classifier 128->10; 2 per MAC
    assert backbone_flops_per_image("digits-classifier") == 2 * (16 * 9 * 256 + 32 * 16 * 9 * 64 + 512 * 128 + 1280)
    # Inception v3 at 299x299: ~5.7 G multiply-adds (torchvision lists 5.71 GFLOPS, counting multiply-adds)
    assert 2 * 5.6e9 < backbone_flops_per_image("inception-v3-compat") < 2 * 5.8e9


def committed_searches():
    runs = sorted(MATRIX.glob("*-s0-*/search.json"))
    assert runs, f"no committed matrix runs under {MATRIX}"
    return runs


@pytest.mark.parametrize("search_json", committed_searches(), ids=lambda p: p.parent.name)
def test_search_step_counts_are_what_the_committed_tiny_runs_did(search_json):
    """The estimate follows each strategy's schedule: its D / G / architecture steps and proxy evaluations equal those
    the matrix's tiny runs recorded."""
    config = json.loads((search_json.parent / "config.json").read_text())
    run = json.loads((search_json.parent / "run.json").read_text())
    strategy, space_name = run["strategy"], run["space"]
    cfg = make_config(file_values=config, strategy=strategy, lenient=True)  # the run's own config
    info = json.loads(search_json.read_text())["info"]
    estimate = estimate_search(cfg, strategy, SPACES.get(space_name)(), 1.0)
    assert estimate["d_steps"] == info["d_steps"]
    if strategy == "differentiable":
        assert estimate["g_steps"] == info["g_steps"]
        assert estimate["arch_steps"] == info["d_arch_steps"] + info["g_arch_steps"]
    else:
        assert estimate["proxy_evaluations"] == info["architectures_evaluated"]
    assert estimate["total_flops"] == estimate["gan_flops"] + estimate["proxy_flops"] > 0
    assert estimate["estimated_hours"] == pytest.approx(hours(estimate["total_flops"], 1.0))


def test_gan_flops_follow_the_shared_steps():
    """smoke's n_critic is 1: twice the shared D steps, twice the D and G steps and their FLOPs; proxies unchanged."""
    cfg = make_config(profile="smoke", strategy="rl")
    space = SPACES.get("autogan")()
    one = estimate_search(cfg, "rl", space, 1.0)
    two = estimate_search(cfg.replace(shared_steps=2 * cfg.shared_steps), "rl", space, 1.0)
    assert (two["d_steps"], two["g_steps"]) == (2 * one["d_steps"], 2 * one["g_steps"])
    assert two["gan_flops"] == pytest.approx(2 * one["gan_flops"], rel=1e-12)
    assert two["proxy_flops"] == one["proxy_flops"]


def test_random_from_scratch_counts_every_candidates_training():
    cfg = make_config(profile="smoke", strategy="random",
                      overrides={"random_scratch_steps": 3, "random_candidates": 4})
    estimate = estimate_search(cfg, "random", SPACES.get("autogan")(), 1.0)
    assert (estimate["d_steps"], estimate["proxy_evaluations"]) == (12, 4)


def cli_json(args, capsys):
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    assert code in (0, None), out.err
    return json.loads(out.out)


def test_estimate_prints_search_and_training_with_the_rates_source(capsys):
    report = cli_json(["estimate", "--strategy", "rl", "--space", "autogan", *SMOKE, "--sustained-tflops", "2",
                       "--rate-source", "measured on our card", "--device-name", "Card X"], capsys)
    assert report["rate"] == {"sustained_tflops": 2.0, "source": "measured on our card", "device": "Card X"}
    assert report["train"]["arch"] == "autogan_cifar10_a"
    total = report["search"]["total_flops"] + report["train"]["total_flops"] + report["train"]["evaluation_flops"]
    assert report["estimated_hours"] == pytest.approx(hours(total, 2.0))
    assumed = cli_json(["estimate", *SMOKE], capsys)
    assert "search" not in assumed and "assumed" in assumed["rate"]["source"]


BENCH_TEST = '''
def test_final_training_unit_at_paper_widths(benchmark):
    benchmark.extra_info.update(gflops_per_s_harness_fp32=120.5, gflops_per_s_channels_last=160.0, threads=2)
    benchmark(lambda: None)
'''


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory):
    """A pytest-benchmark JSON file written by pytest-benchmark itself, as `make bench` writes one."""
    folder = tmp_path_factory.mktemp("bench")
    (folder / "test_unit.py").write_text(BENCH_TEST)
    out = folder / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # not as an xdist worker of this suite
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                    str(folder / "test_unit.py"), "--benchmark-only", f"--benchmark-json={out}", "-k", "final"],
                   check=True, capture_output=True, cwd=folder, env=env)
    data = json.loads(out.read_text())
    for entry in data["benchmarks"]:  # the name make bench's parametrised test has
        entry["name"] += "[autogan_cifar10_a]"
    out.write_text(json.dumps(data))
    return out


def test_estimate_takes_a_rate_a_benchmark_achieved(bench_json, capsys):
    report = cli_json(["estimate", *SMOKE, "--rate-from", bench_json, "--rate-variant", "channels_last"], capsys)
    assert report["rate"]["sustained_tflops"] == pytest.approx(0.16)
    assert "channels_last" in report["rate"]["source"] and "2 threads" in report["rate"]["device"]
    assert report["estimated_hours"] == pytest.approx(
        hours(report["train"]["total_flops"] + report["train"]["evaluation_flops"], 0.16))


@pytest.mark.parametrize("args,variant,tflops", [
    ([*SMOKE], "harness_fp32", 0.1205),  # smoke: contiguous NCHW fp32
    (["--profile", "cifar10", "--device", "cpu"], "channels_last", 0.16),  # the papers' profiles: channels-last
    (["--profile", "cifar10", "--device", "cpu", "--no-channels-last"], "harness_fp32", 0.1205),
    ([*SMOKE, "--channels-last"], "channels_last", 0.16),
])
def test_without_rate_variant_the_benchmark_rate_is_the_variant_the_run_computes_as(bench_json, capsys, args, variant,
                                                                                   tflops):
    report = cli_json(["estimate", *args, "--rate-from", bench_json], capsys)
    assert report["rate"]["sustained_tflops"] == pytest.approx(tflops)
    assert f"({variant})" in report["rate"]["source"]


def test_run_dry_run_prints_the_estimate_and_writes_nothing(tmp_path, capsys):
    before = tree_state(tmp_path)
    report = cli_json(["run", "--strategy", "differentiable", "--space", "adversarialnas", *SMOKE, "--seeds", "0-2",
                       "--results-dir", tmp_path / "runs", "--dry-run"], capsys)
    assert tree_state(tmp_path) == before
    assert report["runs"] == 3 and "stand-in" in report["train"]["arch"]
    assert report["estimated_hours_all_runs"] == pytest.approx(3 * report["estimated_hours"])
    search_only = cli_json(["run", "--strategy", "rl", "--space", "autogan", *SMOKE, "--search-only",
                            "--results-dir", tmp_path / "runs", "--dry-run"], capsys)
    assert "train" not in search_only and search_only["estimated_hours"] == search_only["search"]["estimated_hours"]


@pytest.mark.parametrize("args,fragment", [
    (["--rate-from", "{tmp}/missing.json"], "cannot read benchmark results"),
    (["--rate-from", "{tmp}/not.json"], "Expecting property name"),
    (["--rate-from", "{tmp}/empty.json"], "holds no benchmark with a GFLOP/s figure"),
    (["--rate-from", "{tmp}/odd.json"], "holds no benchmark with a GFLOP/s figure"),
    (["--rate-from", "{bench}", "--rate-variant", "fp64"], "accepted: channels_last, harness_fp32"),
    (["--rate-from", "{bench}", "--sustained-tflops", "3"], "--rate-from alone"),
    (["--rate-from", "{bench}", "--precision", "bf16", "--no-channels-last"],
     "no benchmarked variant computes as --precision bf16 without --channels-last; accepted: --rate-variant"),
    (["--strategy", "nope"], "unknown strategy 'nope'"),
    (["--strategy", "rl", "--space", "autogan", "--arch", "adversarialnas_cifar10"], "not of --space autogan"),
])
def test_estimate_bad_input_is_one_line(args, fragment, results, bench_json, tmp_path):
    (tmp_path / "not.json").write_text("{oops")
    (tmp_path / "empty.json").write_text('{"benchmarks": []}')
    (tmp_path / "odd.json").write_text('{"benchmarks": [{"name": ["x"], "extra_info": 3}], "machine_info": []}')
    args = [str(a).format(tmp=tmp_path, bench=bench_json) for a in args]
    refused(["estimate", *args, *SMOKE, "--results-dir", results / "runs"], results, fragment)


def test_dry_run_with_resume_is_refused(results):
    refused(["run", "--resume", results / "runs", "--dry-run", *SMOKE], results, "--dry-run without --resume")


def test_a_runs_arch_json_file_names_its_architecture_as_its_run_directory_does():
    from ganas_bench.architecture import resolve_architecture

    run = next(MATRIX.glob("rl-autogan-tiny-s0-*"))
    by_dir, by_file = resolve_architecture(str(run)), resolve_architecture(str(run / "arch.json"))
    assert by_file[1:] == by_dir[1:] and by_file[1].space == "autogan"


def test_training_step_flops_counted_small_equal_a_count_at_full_size():
    """cost.training_step_flops counts at a batch of 2 and scales; the count of the same textbook step at the full
    batches (5 real, 7 generated, 3 D steps) is the same number."""
    from torch.utils.flop_counter import FlopCounterMode

    from ganas_bench.cost import training_step_flops

    cfg, G, D = smoke_pair("adversarialnas")
    real = torch.zeros(5, cfg.channels, cfg.image_size, cfg.image_size)
    counter = FlopCounterMode(display=False)
    with counter:
        with torch.no_grad():
            fake = G(torch.randn(5, cfg.latent_dim))
        (D(real).mean() + D(fake).mean()).backward()
        d_flops = counter.get_total_flops()
        D(G(torch.randn(7, cfg.latent_dim))).mean().backward()
    full = 3 * d_flops + counter.get_total_flops() - d_flops
    assert training_step_flops(G, D, cfg.latent_dim, real, 7, 3) == full


def test_estimate_takes_the_rate_a_finished_runs_training_achieved(capsys):
    run = next(MATRIX.glob("rl-autogan-tiny-s0-*"))
    train = json.loads((run / "metrics.json").read_text())["cost"]["train"]
    report = cli_json(["estimate", *SMOKE, "--rate-from", run], capsys)
    achieved = train["flops_per_step"] * train["steps"] / train["wall_s"] / 1e12
    assert report["rate"]["sustained_tflops"] == pytest.approx(achieved)
    assert run.name in report["rate"]["source"] and report["device"] == train["device"]


def test_a_run_without_a_final_training_gives_no_rate(results, tmp_path):
    searched = tmp_path / "searched"
    searched.mkdir()
    (searched / "metrics.json").write_text(json.dumps({"cost": {"search": {"wall_s": 3.0, "steps": 4}}}))
    refused(["estimate", *SMOKE, "--rate-from", searched, "--results-dir", results / "runs"], results,
            "records no final training")
    refused(["estimate", *SMOKE, "--rate-from", tmp_path, "--results-dir", results / "runs"], results,
            "has no metrics.json")


def test_a_benchmark_file_with_odd_machine_info_still_gives_its_rate(bench_json, tmp_path, capsys):
    data = json.loads(bench_json.read_text())
    data["machine_info"] = ["not", "a", "mapping"]
    odd = tmp_path / "odd-machine.json"
    odd.write_text(json.dumps(data))
    report = cli_json(["estimate", *SMOKE, "--rate-from", odd], capsys)
    assert report["rate"]["sustained_tflops"] == pytest.approx(0.1205)
    assert report["device"].startswith("the benchmarked machine")
