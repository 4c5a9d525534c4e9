"""`ganas-bench matrix --executor ray` on a local Ray cluster of 2 CPUs (the real CLI in a subprocess): the runs land in
the same run directories with the local executor's results; a worker killed with SIGKILL mid-run is retried, the run
continued and the retry recorded; a driver killed with SIGKILL and started again skips the finished runs. A matrix of
real runs: in the slow group."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")

ARGS = ["matrix", "--profile", "smoke", "--device", "cpu", "--strategies", "random", "--spaces", "autogan",
        "--train-iters", "4", "--n-fake", "128", "--kid-subset-size", "64"]


def start(args, **extra):
    env = {k: v for k, v in os.environ.items() if k != "GANAS_BENCH_FAULT"}
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.Popen([sys.executable, "-m", "ganas_bench.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **extra)


def finish(args):
    proc = start(args)
    out, err = proc.communicate(timeout=1500)
    assert proc.returncode == 0, err[-3000:]
    return out, err


def results(folder: Path) -> dict:
    out = {}
    for run in sorted(folder.iterdir()):
        m = json.loads((run / "metrics.json").read_text())
        m.pop("cost")
        m["search"] = {k: v for k, v in m["search"].items() if k not in ("search_wall_s", "useful_s", "useful_fraction")}
        out[run.name] = m
    return out


def descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False


def lock_holders(folder: Path, ancestor: int) -> dict[int, str]:
    """Processes below `ancestor` holding a run's .lock open: pid -> run name."""
    held = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or not descends_from(int(entry.name), ancestor):
            continue
        try:
            for fd in (entry / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith(str(folder)) and target.endswith("/.lock"):
                    held[int(entry.name)] = Path(target).parent.name
        except OSError:
            continue
    return held


def wait_for(condition, proc, seconds=900):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        time.sleep(0.2)
    raise AssertionError("timed out")


def retries(run: Path) -> int:
    return sum(json.loads(line)["event"] == "executor_retry" for line in (run / "events.jsonl").read_text().splitlines())


@pytest.mark.slow
def test_a_killed_worker_is_retried_and_a_killed_driver_restarts_without_redoing_finished_runs_to_the_local_results(
        tmp_path):
    """One matrix of three runs meets both failures (one test, not two: the slow group is CI's longest part): a worker
    killed inside a run is retried and the retry recorded in that run, then the driver is killed once a run has
    finished; started again, it skips the finished runs, continues the others, and every result equals the local
    executor's."""
    seeds = ["--seeds", "0-2"]
    finish([*ARGS, *seeds, "--results-dir", str(tmp_path / "local")])
    folder = tmp_path / "ray"
    proc = start([*ARGS, *seeds, "--executor", "ray", "--results-dir", str(folder)])

    def started():  # a worker inside a run (its run.json written), not in the instant of creating it
        return {pid: run for pid, run in lock_holders(folder, proc.pid).items() if (folder / run / "run.json").is_file()}

    pid, victim = next(iter(wait_for(started, proc).items()))
    os.kill(pid, signal.SIGKILL)

    def retried_and_one_finished():
        return retries(folder / victim) >= 1 and any((r / "metrics.json").is_file() for r in folder.iterdir())

    wait_for(retried_and_one_finished, proc)
    os.kill(proc.pid, signal.SIGKILL)  # the driver alone; Ray's processes for it end with it
    proc.communicate()
    finished = {r.name: (r / "metrics.json").stat().st_mtime_ns for r in folder.iterdir()
                if (r / "metrics.json").is_file()}
    assert 1 <= len(finished) < 3
    out, err = finish([*ARGS, *seeds, "--executor", "ray", "--results-dir", str(folder)])
    assert out.count("skipped (finished)") == len(finished)
    assert {name: (folder / name / "metrics.json").stat().st_mtime_ns for name in finished} == finished
    assert {r.name: retries(r) for r in folder.iterdir() if retries(r)} == {victim: 1}
    assert results(folder) == results(tmp_path / "local")
