"""A smoke matrix (random on both spaces, seeds 0-2: 6 runs) through the real CLI, with the local executor (one run at a
time, torch's default threads: all cores) and with Ray (a local cluster, one single-thread task per core). Wall time of
the whole command, Ray's start-up included; extra_info says whether the runs' results are identical (they are when the
thread counts match; see README: Scale)."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("ray")
# ~12 minutes on 2 cores (README: Scale): over `make bench`'s 10-minute budget, so it runs when asked for
pytestmark = pytest.mark.skipif(os.environ.get("GANAS_BENCH_MATRIX") != "1",
                                reason="the smoke-matrix wall time runs with GANAS_BENCH_MATRIX=1")

ARGS = ["matrix", "--profile", "smoke", "--device", "cpu", "--strategies", "random", "--spaces", "autogan,adversarialnas",
        "--seeds", "0-2"]


def matrix(folder: Path, *extra: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "GANAS_BENCH_FAULT")}
    proc = subprocess.run([sys.executable, "-m", "ganas_bench.cli", *ARGS, *extra, "--results-dir", str(folder)],
                          env=env, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr[-3000:]


def results(folder: Path) -> dict:
    out = {}
    for run in sorted(folder.iterdir()):
        m = json.loads((run / "metrics.json").read_text())
        out[run.name] = {k: m[k] for k in ("fid", "is_mean", "kid_mean")}
    return out


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_smoke_matrix_wall_time(benchmark, executor):
    folders = []

    def once():
        folders.append(Path(tempfile.mkdtemp(prefix=f"matrix-{executor}-")))
        matrix(folders[-1], *(["--executor", "ray", "--task-cpus", "1"] if executor == "ray" else []))

    benchmark.pedantic(once, rounds=1, iterations=1)
    benchmark.extra_info["runs"] = len(results(folders[-1]))
    benchmark.extra_info["results"] = results(folders[-1])
