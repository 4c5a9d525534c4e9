"""`--executor ray`: jobs as Ray tasks on a local Ray cluster (2 CPUs): results in job order, each reported as it
lands; a worker killed with SIGKILL is retried and the retry recorded in the job's run; a second death of the same job
is reported in its run and raised after the other jobs finished; random search scoring its from-scratch candidates as
Ray tasks ranks the same genotypes with the same scores as in this process."""
import json
import os
import signal
import sys

import pytest

ray = pytest.importorskip("ray")

from ganas_bench.commands import command_run  # noqa: E402
from ganas_bench.config import make_config  # noqa: E402
from ganas_bench.errors import UserError  # noqa: E402
from ganas_bench.executors import LocalExecutor, TasksFailed, get_executor  # noqa: E402
from ganas_bench.ray_executor import RayExecutor  # noqa: E402
from ganas_bench.runs.lifecycle import start_run  # noqa: E402

ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers need not import this test module


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def square_after(job):
    import time

    value, delay = job
    time.sleep(delay)
    return value * value


def die_first_times(job):
    """SIGKILL this worker process on the job's first `times` attempts (counted in files), then answer."""
    marker_dir, times, value = job.results_dir, job.times, job.value
    attempts = len([n for n in os.listdir(marker_dir) if n.startswith(f"attempt-{value}-")])
    open(os.path.join(marker_dir, f"attempt-{value}-{attempts}"), "w").close()
    if attempts < times:
        os.kill(os.getpid(), signal.SIGKILL)
    return value


class KillJob:
    def __init__(self, results_dir, run_name, times, value):
        self.results_dir, self.run_name, self.times, self.value = results_dir, run_name, times, value


def test_results_come_back_in_job_order_and_each_is_reported_once(cluster):
    landed = []
    jobs = [(1, 0.6), (2, 0.0), (3, 0.3)]
    results = RayExecutor(task_cpus=1).map(square_after, jobs, on_result=lambda i, r: landed.append((i, r)))
    assert results == [1, 4, 9]
    assert sorted(landed) == [(0, 1), (1, 4), (2, 9)]  # each job reported once, with its own index


def test_a_worker_killed_once_is_retried_and_the_retry_recorded_in_the_run(cluster, tmp_path):
    cfg = make_config(profile="smoke", overrides={"results_dir": str(tmp_path)})
    run = start_run(cfg, "train", "t", "victim")
    run.unlock()
    jobs = [KillJob(str(tmp_path), "victim", 1, 7), KillJob(str(tmp_path), "other", 0, 8)]
    executor = RayExecutor(task_cpus=1, retries=1)
    assert executor.map(die_first_times, jobs) == [7, 8]
    assert [(i, attempt) for i, attempt, _ in executor.retried] == [(0, 1)]
    events = [json.loads(line) for line in (tmp_path / "victim" / "events.jsonl").read_text().splitlines()]
    retries = [e for e in events if e["event"] == "executor_retry"]
    assert len(retries) == 1 and retries[0]["attempt"] == 1 and "worker died" in retries[0]["reason"]


def test_a_second_death_of_the_same_job_is_reported_in_its_run_after_the_others_finished(cluster, tmp_path):
    cfg = make_config(profile="smoke", overrides={"results_dir": str(tmp_path)})
    run = start_run(cfg, "train", "t", "victim")
    run.unlock()
    done = []
    jobs = [KillJob(str(tmp_path), "victim", 2, 7), KillJob(str(tmp_path), "other", 0, 8)]
    with pytest.raises(TasksFailed) as caught:
        RayExecutor(task_cpus=1, retries=1).map(die_first_times, jobs, on_result=lambda i, r: done.append(r))
    assert done == [8]
    (index, job, reason), = caught.value.failures
    assert index == 0 and "worker died" in reason and "after 1 retry" in reason
    info = json.loads((tmp_path / "victim" / "run.json").read_text())
    assert info["status"] == "failed" and "worker died" in info["reason"]
    events = [json.loads(line)["event"] for line in (tmp_path / "victim" / "events.jsonl").read_text().splitlines()]
    assert events.count("executor_retry") == 1 and events.count("executor_failed") == 1


def test_ray_options_given_to_the_local_executor_are_refused():
    with pytest.raises(UserError, match="--task-cpus applies to --executor ray only"):
        get_executor("local", task_cpus=2)
    with pytest.raises(UserError, match="invalid --executor 'slurm'; accepted: local, ray"):
        get_executor("slurm")


SCRATCH = {"results_dir": None, "random_candidates": 5, "random_scratch_steps": 3, "device": "cpu"}


def _scratch_search(tmp_path, name, executor):
    cfg = make_config(profile="smoke", overrides={**SCRATCH, "results_dir": str(tmp_path)}, strategy="random")
    result = command_run(cfg, "random", "autogan", name, search_only=True, executor=executor)
    events = [json.loads(line) for line in (result.path / "events.jsonl").read_text().splitlines()]
    return result.read_json("search.json"), [e for e in events if e["event"] in ("candidate", "candidate_failed")]


def test_random_candidates_as_ray_tasks_rank_the_same_genotypes_with_the_same_scores(cluster, tmp_path):
    local_search, local_events = _scratch_search(tmp_path, "local", LocalExecutor())
    executor = RayExecutor(task_cpus=1)
    assert executor.parallelism == 2  # two candidates per search step on this 2-CPU cluster
    ray_search, ray_events = _scratch_search(tmp_path, "ray", executor)
    assert ray_search["ranked"] == local_search["ranked"]
    assert len(local_search["ranked"]) >= 2
    for key in ("d_steps", "failed_candidates", "architectures_evaluated"):
        assert ray_search["info"][key] == local_search["info"][key], key
    strip = [{k: v for k, v in e.items() if k != "t"} for e in local_events]
    assert [{k: v for k, v in e.items() if k != "t"} for e in ray_events] == strip


def test_a_run_directory_its_killed_worker_had_only_just_created_is_cleared_for_the_retry(cluster, tmp_path):
    (tmp_path / "fresh").mkdir()
    (tmp_path / "fresh" / ".lock").touch()  # mkdir and lock done, run.json not yet written: no run to continue
    assert RayExecutor(task_cpus=1, retries=1).map(die_first_times, [KillJob(str(tmp_path), "fresh", 1, 5)]) == [5]
    assert not (tmp_path / "fresh").exists()


def test_a_worker_running_other_ganas_bench_code_is_refused_before_any_job(cluster, tmp_path, monkeypatch):
    ran = tmp_path / "ran"
    monkeypatch.setattr(RayExecutor, "driver_code", staticmethod(lambda: ("000000000000", "/another/checkout")))
    with pytest.raises(UserError, match=r"a Ray worker runs other ganas_bench code \(fingerprint [0-9a-f]{12}, from "
                                        r".*\) than this command \(fingerprint 000000000000, from /another/checkout\)"):
        RayExecutor(task_cpus=1).map(touch, [str(ran)])
    assert not ran.exists()  # refused by the probe, before the job


def no_package():
    raise ModuleNotFoundError("No module named 'ganas_bench'")


def test_a_worker_that_cannot_load_ganas_bench_is_one_line_not_a_traceback(cluster, monkeypatch):
    monkeypatch.setattr(RayExecutor, "probe", staticmethod(no_package))
    with pytest.raises(UserError, match="a Ray worker could not load ganas_bench \\(ModuleNotFoundError: No module "
                                        "named 'ganas_bench'\\); install the same ganas-bench on every node"):
        RayExecutor(task_cpus=1).map(abs, [-1])


def test_each_job_checks_its_worker_runs_the_drivers_code():
    from ganas_bench.ray_executor import _run_in_worker, _worker_code

    assert _run_in_worker(square_after, (3, 0.0), None, 1, "", _worker_code()) == 9
    with pytest.raises(UserError, match="other ganas_bench code"):
        _run_in_worker(square_after, (3, 0.0), None, 1, "", ("000000000000", "/another/checkout"))


def touch(path):
    open(path, "w").close()


@pytest.mark.slow
def test_a_command_started_in_another_checkout_is_refused_not_run_with_that_checkouts_code(tmp_path):
    """The real case: the installed ganas_bench drives, the working directory holds a changed copy of it."""
    import shutil
    import subprocess

    import ganas_bench

    other = tmp_path / "other-checkout"
    shutil.copytree(os.path.dirname(ganas_bench.__file__), other / "ganas_bench",
                    ignore=shutil.ignore_patterns("__pycache__"))
    with open(other / "ganas_bench" / "cost.py", "a") as f:
        f.write("# a change the driver does not have\n")
    driver = tmp_path / "driver.py"  # outside `other`: the driver itself imports the installed package
    driver.write_text("from ganas_bench.ray_executor import RayExecutor\n"
                      "from ganas_bench.errors import UserError\n"
                      "try:\n"
                      "    RayExecutor(task_cpus=1, cluster_cpus=1).map(abs, [-1])\n"
                      "except UserError as exc:\n"
                      "    print('REFUSED', exc)\n")
    out = subprocess.run([sys.executable, str(driver)], cwd=other, capture_output=True, text=True, timeout=300)
    assert f"from {other / 'ganas_bench'}" in out.stdout and out.stdout.startswith("REFUSED"), out.stdout + out.stderr
