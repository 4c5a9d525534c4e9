"""Where independent jobs run (matrix runs, proxy-study trainings, `--seeds` runs, from-scratch candidates): one after
another in this process (`local`), or as Ray tasks (`ray`: a local Ray cluster, or one joined with `--ray-address`).

Every executor takes picklable jobs and a top-level function, returns results in the order of the jobs, and reports each
result as it lands (`on_result(index, result)`; with Ray that is completion order), so progress and ETA lines work the
same everywhere. `shared`, when given, is one read-only object every job needs (e.g. a run's real images): the function
is then called as `fn(job, shared)`, and Ray puts it into its object store once instead of shipping it with every job.
Jobs never share state through globals: what they produce goes into their run directories or comes back as results.

Failures: a job that raises ends `local` at once (as a plain loop would). With Ray every job runs to its end first; a
job whose worker process dies (SIGKILL, OOM killer, a lost node) is submitted again, at most `retries` times, each retry
reported through `on_retry` (by default `RunDirRecorder`: for jobs that name a run directory, an event of that run);
a job that raised, or whose worker died once more than its retries allow, is reported through `on_failure` and, after
the others finished, raised as one `TasksFailed` naming each of them.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, Iterable, Sequence, TypeVar

from .errors import UserError, preview

T = TypeVar("T")
R = TypeVar("R")
EXECUTORS = ("local", "ray")
DEFAULT_RETRIES = 1


class TasksFailed(RuntimeError):
    """Jobs of one `map` that failed: `failures` is a list of (job index, job, one-line reason)."""

    def __init__(self, failures: list[tuple[int, Any, str]]):
        self.failures = failures
        lines = [f"job {index + 1} ({describe_job(job)}): {reason}" for index, job, reason in failures]
        super().__init__(f"{len(failures)} job(s) failed: " + "; ".join(lines))


def describe_job(job) -> str:
    name = getattr(job, "run_name", None)
    return str(name) if name else type(job).__name__


class LocalExecutor:
    """Jobs one after another in this process, with this process's torch threads."""

    name = "local"
    parallelism = 1

    def map(self, fn: Callable[..., R], jobs: Iterable[T], on_result: Callable[[int, R], None] | None = None,
            shared: Any = None, on_retry=None, on_failure=None) -> list[R]:
        results = []
        for index, job in enumerate(jobs):
            results.append(fn(job) if shared is None else fn(job, shared))
            if on_result is not None:
                on_result(index, results[-1])
        return results


def get_executor(name: str, address: str | None = None, task_cpus: float | None = None,
                 task_gpus: float | None = None, retries: int = DEFAULT_RETRIES, cluster_cpus: int | None = None):
    """The executor called `name`; the Ray options are refused with one line when given to `local`. Without
    `address` Ray starts a local cluster of `cluster_cpus` CPUs (default: all of this machine's)."""
    if name == "local":
        given = [flag for flag, value in (("--ray-address", address), ("--task-cpus", task_cpus),
                                          ("--task-gpus", task_gpus)) if value is not None]
        if given:
            raise UserError(f"{given[0]} applies to --executor ray only; the local executor runs jobs in this process")
        return LocalExecutor()
    if name == "ray":
        from .ray_executor import RayExecutor

        return RayExecutor(address=address, task_cpus=1.0 if task_cpus is None else task_cpus,
                           task_gpus=0.0 if task_gpus is None else task_gpus, retries=retries,
                           cluster_cpus=cluster_cpus)
    raise UserError(f"invalid --executor {preview(name)}; accepted: {', '.join(EXECUTORS)}")


GPU_PROFILES = ("cifar10", "stl10")


def default_task_gpus(cfg) -> float:
    """GPUs a Ray task asks for unless `--task-gpus` says: one for a run on `cuda`, or on `auto` with a paper profile
    (the cluster's workers have the GPUs, the driver need not); none on `cpu` or with the tiny and smoke profiles."""
    if cfg.device.startswith("cuda"):
        return 1.0
    return 1.0 if cfg.device == "auto" and cfg.profile in GPU_PROFILES else 0.0


class RunDirRecorder:
    """`on_retry` / `on_failure` for jobs that name a run directory (`results_dir` and `run_name`, as matrix and study
    jobs do): a retry becomes an `executor_retry` event of that run, a final failure an `executor_failed` event and the
    run marked failed with the reason (resumable, as any failed run). A job whose worker died before its run directory
    existed has nothing to record into; the retry is still printed."""

    def __init__(self, echo: Callable[[str], None] | None = None):
        self.echo = echo or (lambda line: print(line, file=sys.stderr))

    @staticmethod
    def _run(job):
        from .runs.rundir import RunDir

        path = os.path.join(str(getattr(job, "results_dir", "")), str(getattr(job, "run_name", "")))
        if not getattr(job, "run_name", None) or not os.path.isfile(os.path.join(path, "run.json")):
            return None
        return RunDir.open(path)

    def on_retry(self, index: int, job, attempt: int, reason: str) -> None:
        self.echo(f"retry {attempt} of job {index + 1} ({describe_job(job)}): {reason}")
        run = self._run(job)
        if run is not None:
            run.log("executor_retry", attempt=attempt, reason=reason)
        else:
            _remove_unstarted(job)

    # what a run directory holds between its mkdir and its run.json (lifecycle.start_run)
    UNSTARTED = (".lock", "config.json")

    def on_failure(self, index: int, job, reason: str, worker_died: bool) -> None:
        self.echo(f"failed: job {index + 1} ({describe_job(job)}): {reason}")
        run = self._run(job)
        if run is None or not worker_died:
            return  # a job that raised has recorded its own failure in its run (runs.lifecycle.guarded)
        from .runs.lifecycle import finish_run

        run.log("executor_failed", reason=reason)
        finish_run(run, "failed", reason)


def _remove_unstarted(job) -> None:
    """A worker killed in the instant between creating its run directory and writing run.json leaves a directory that
    is no run yet (a lock file, perhaps config.json); it is removed so the retry starts the run afresh."""
    import shutil

    from .runs.rundir import _TEMP_NAME

    name = getattr(job, "run_name", None)
    if not name:
        return
    path = os.path.join(str(getattr(job, "results_dir", "")), str(name))
    if not os.path.isdir(path) or os.path.exists(os.path.join(path, "run.json")):
        return
    entries = os.listdir(path)
    if all(e in RunDirRecorder.UNSTARTED or _TEMP_NAME.match(e) for e in entries):
        shutil.rmtree(path, ignore_errors=True)
