"""`kill -9` at five points of `ganas-bench train`, each followed by `--resume`: the result is the uninterrupted run's,
bit for bit (metrics.json without "cost", samples.png, the kept EMA generator).

One run directory is killed at each point in turn and resumed after each kill, so the test also shows that a resumed run
survives being killed again. The five points:
1. a training iteration: SIGKILL from outside as soon as the first checkpoint (iteration 4) appears;
2. inside the atomic write of the checkpoint of iteration 8 (GANAS_BENCH_FAULT=atomic_write:checkpoint.pt:1): the
   previous checkpoint still loads, the torn temp file is never read, and the next resume removes it;
3. inside the final evaluation (evaluate:1: a resumed run does not evaluate the untrained generator again);
4. inside the atomic write of metrics.json (atomic_write:metrics.json:1): no metrics.json appears, so the run does not
   look finished;
5. inside the atomic write of the final run.json (atomic_write:run.json:2): metrics.json is complete but the status is
   not; the last resume records it without redoing anything.
Both the reference and the killed run are subprocesses of the real CLI with the same environment (no thread settings),
so nothing but the interruptions differs between them. (The best-of-`eval_every` state across a resume is covered,
cheaply, in test_reliability_resume.py.)
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from ganas_bench.checkpoint import load_checkpoint

KILL_POINTS = 5
ARGS = ["--profile", "smoke", "--device", "cpu", "--train-iters", "12", "--checkpoint-every", "4"]
SIGKILLED = -signal.SIGKILL


def start(args, fault=None):
    env = {k: v for k, v in os.environ.items() if k != "GANAS_BENCH_FAULT"}
    if fault:
        env["GANAS_BENCH_FAULT"] = fault
    return subprocess.Popen([sys.executable, "-m", "ganas_bench.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=600):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def temp_files(run_dir, name):
    return sorted(p.name for p in run_dir.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp"))


def iteration(run_dir):
    return load_checkpoint(run_dir / "checkpoint.pt")["iteration"]


def status(run_dir):
    return json.loads((run_dir / "run.json").read_text())["status"]


@pytest.mark.slow
def test_a_run_killed_at_any_point_resumes_to_the_uninterrupted_result(tmp_path):
    code, _, err = finish(start(["train", "--results-dir", str(tmp_path), "--run-name", "ref", *ARGS]))
    assert code == 0, err
    ref_dir, run_dir = tmp_path / "ref", tmp_path / "cut"
    resume = ["train", "--resume", str(run_dir)]
    tried = []

    # 1. mid training: killed from outside right after the first checkpoint lands
    proc = start(["train", "--results-dir", str(tmp_path), "--run-name", "cut", *ARGS])
    deadline = time.monotonic() + 600
    while not (run_dir / "checkpoint.pt").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.kill()
    assert finish(proc)[0] == SIGKILLED
    assert iteration(run_dir) == 4 and not (run_dir / "metrics.json").exists()
    assert status(run_dir) == "running"  # nothing can record a SIGKILL; --resume accepts it as it is
    tried.append("training iteration after the first checkpoint")

    # 2. mid checkpoint write: the previous checkpoint survives whole
    code, _, err = finish(start(resume, fault="atomic_write:checkpoint.pt:1"))
    assert code == SIGKILLED, err
    assert iteration(run_dir) == 4
    assert len(temp_files(run_dir, "checkpoint.pt")) == 1  # the torn write, beside the intact checkpoint
    tried.append("atomic write of checkpoint.pt")

    # 3. mid final evaluation
    code, _, err = finish(start(resume, fault="evaluate:1"))
    assert code == SIGKILLED, err
    assert temp_files(run_dir, "checkpoint.pt") == []  # removed by the resume once it held the run's lock
    assert iteration(run_dir) == 8 and not (run_dir / "metrics.json").exists()
    tried.append("final evaluation")

    # 4. mid metrics.json write: the run must not look finished
    code, _, err = finish(start(resume, fault="atomic_write:metrics.json:1"))
    assert code == SIGKILLED, err
    assert not (run_dir / "metrics.json").exists() and len(temp_files(run_dir, "metrics.json")) == 1
    final = load_checkpoint(run_dir / "checkpoint.pt")
    assert final["iteration"] == 12 and final["final"]["best_iter"] == 12
    tried.append("atomic write of metrics.json")

    # 5. mid write of the final run.json: results complete, status not recorded
    code, _, err = finish(start(resume, fault="atomic_write:run.json:2"))
    assert code == SIGKILLED, err
    assert (run_dir / "metrics.json").exists() and status(run_dir) == "running"
    tried.append("atomic write of the final run.json")

    code, out, err = finish(start(resume))
    assert code == 0, err
    assert status(run_dir) == "finished" and str(run_dir) in out
    assert len(tried) == KILL_POINTS

    ours, theirs = (json.loads((d / "metrics.json").read_text()) for d in (run_dir, ref_dir))
    ours.pop("cost"), theirs.pop("cost")
    assert ours == theirs
    assert (run_dir / "samples.png").read_bytes() == (ref_dir / "samples.png").read_bytes()
    kept = [load_checkpoint(d / "checkpoint.pt")["generator_ema"] for d in (run_dir, ref_dir)]
    assert kept[0].keys() == kept[1].keys() and all(torch.equal(kept[0][k], kept[1][k]) for k in kept[0])
    for line in (run_dir / "events.jsonl").read_text().splitlines():  # five kills, not one torn event line
        json.loads(line)
    assert [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_the_fault_hook_kills_at_the_named_pass_and_refuses_a_malformed_spec():
    code = ("from ganas_bench.faults import fault_point\n"
            "for i in range(3):\n    fault_point('other'); fault_point('here'); print(i, flush=True)\n")
    env = {**os.environ, "GANAS_BENCH_FAULT": "here:2"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == SIGKILLED and proc.stdout.split() == ["0"]
    env["GANAS_BENCH_FAULT"] = "here"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and "invalid GANAS_BENCH_FAULT='here'" in proc.stderr
