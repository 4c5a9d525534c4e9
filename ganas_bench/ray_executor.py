"""`RayExecutor`: independent jobs as Ray tasks, on a local Ray cluster or on one joined with `--ray-address`.

Each task asks Ray for `task_cpus` CPUs and `task_gpus` GPUs and runs torch with `task_cpus` threads (at least one), so
a task's numbers are those of a local run with that many threads. Ray sets CUDA_VISIBLE_DEVICES for a task that asks
for a GPU; `--device auto` / `cuda` then picks the one it was given. Workers run with the driver's working directory
when it exists on their node (a shared file system), so relative paths such as `results/runs` mean the same there;
elsewhere give absolute paths that every node can reach.

Every worker must run the driver's ganas_bench code (the same code fingerprint): one probe task before the jobs and
each job itself check it, and a worker with other code is refused with one message (`check_same_code`).

Worker death is retried by the driver, not by Ray's own `max_retries`: Ray retries silently, and a retry must be
recorded in the run (see `executors.RunDirRecorder`). Tasks are submitted with `max_retries=0`; a task whose worker
died (`WorkerCrashedError`, `NodeDiedError`, Ray's `OutOfMemoryError`, ...) is submitted again up to `retries` times.
An exception raised by the job itself is its answer (a bug or bad input does not improve by retrying) and is reported.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Iterable, TypeVar

from .errors import UserError
from .executors import TasksFailed

T = TypeVar("T")
R = TypeVar("R")


def _worker_died_errors() -> tuple[type, ...]:
    import ray.exceptions as rex

    names = ("WorkerCrashedError", "NodeDiedError", "OutOfMemoryError", "LocalRayletDiedError", "ObjectLostError",
             "OwnerDiedError")
    return tuple(getattr(rex, n) for n in names if hasattr(rex, n))


def _worker_code() -> tuple[str, str]:
    """The fingerprint of the ganas_bench code this process imported, and where it was imported from."""
    import ganas_bench

    from .runs.identity import code_fingerprint

    return code_fingerprint(), os.path.dirname(ganas_bench.__file__)


def check_same_code(driver: tuple[str, str], worker: tuple[str, str]) -> None:
    """Refuse a worker that imported other ganas_bench code than the driver runs. Ray puts the driver's working
    directory on its workers' import path ahead of the installed packages, so a driver started in another checkout
    of ganas_bench would otherwise run that checkout's code in its tasks, silently (the matrix of 2026-12-03 did)."""
    if worker[0] != driver[0]:
        raise UserError(f"a Ray worker runs other ganas_bench code (fingerprint {worker[0]}, from {worker[1]}) than "
                        f"this command (fingerprint {driver[0]}, from {driver[1]}); Ray's workers import from the "
                        "working directory first: start the command from a folder that holds no other ganas_bench "
                        "checkout (or from the checkout you installed), and install the same code on every node")


def _run_in_worker(fn, job, shared, threads: int, cwd: str, driver_code: tuple[str, str]):
    """What every task runs: the same-code check, the driver's thread count and working directory, then the job."""
    import torch

    check_same_code(driver_code, _worker_code())
    torch.set_num_threads(threads)
    if cwd and os.path.isdir(cwd):
        os.chdir(cwd)
    return fn(job) if shared is None else fn(job, shared)


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None, task_cpus: float = 1.0, task_gpus: float = 0.0,
                 retries: int = 1, cluster_cpus: int | None = None):
        try:
            import ray  # noqa: F401
        except ImportError:
            raise UserError("--executor ray needs Ray: pip install 'ganas-bench[scale]' (or pip install ray)") from None
        if not (isinstance(task_cpus, (int, float)) and 0 < task_cpus <= 1024):
            raise UserError(f"invalid --task-cpus {task_cpus!r}; accepted: a number in (0, 1024]")
        if not (isinstance(task_gpus, (int, float)) and 0 <= task_gpus <= 64):
            raise UserError(f"invalid --task-gpus {task_gpus!r}; accepted: a number in [0, 64]")
        if not (isinstance(retries, int) and 0 <= retries <= 100):
            raise UserError(f"invalid --task-retries {retries!r}; accepted: an integer in 0..100")
        self.address, self.task_cpus, self.task_gpus = address, float(task_cpus), float(task_gpus)
        self.retries = retries
        self.cluster_cpus = cluster_cpus
        self.retried: list[tuple[int, int, str]] = []  # (job index, attempt, reason) of the last map

    def _connect(self) -> None:
        import ray

        if ray.is_initialized():
            return
        if self.address:
            try:
                ray.init(address=self.address, log_to_driver=False)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                raise UserError(f"cannot join the Ray cluster at --ray-address {self.address!r}: {first}") from None
        else:  # a local cluster for this process; it ends with it
            ray.init(num_cpus=self.cluster_cpus, include_dashboard=False, log_to_driver=False)

    probe = staticmethod(_worker_code)  # what a worker reports of its code

    @staticmethod
    def driver_code() -> tuple[str, str]:
        """What every worker must run: this process's ganas_bench code (fingerprint, folder)."""
        return _worker_code()

    @property
    def parallelism(self) -> int:
        """How many tasks the cluster can run at once with these per-task requests (at least 1)."""
        import ray

        self._connect()
        resources = ray.cluster_resources()
        slots = int(resources.get("CPU", 1) // self.task_cpus)
        if self.task_gpus > 0:
            slots = min(slots, int(resources.get("GPU", 0) // self.task_gpus))
        return max(1, slots)

    def map(self, fn: Callable[..., R], jobs: Iterable[T], on_result: Callable[[int, R], None] | None = None,
            shared: Any = None, on_retry=None, on_failure=None) -> list[R]:
        import ray

        from .executors import RunDirRecorder

        recorder = RunDirRecorder()
        on_retry, on_failure = on_retry or recorder.on_retry, on_failure or recorder.on_failure
        jobs = list(jobs)
        self._connect()
        driver_code = self.driver_code()
        try:  # before any job
            worker_code = ray.get(ray.remote(self.probe).options(num_cpus=0).remote())
        except ray.exceptions.RayError as exc:
            cause = getattr(exc, "cause", None) or exc
            raise UserError(f"a Ray worker could not load ganas_bench ({type(cause).__name__}: {_first_line(cause)}); "
                            "install the same ganas-bench on every node") from None
        check_same_code(driver_code, worker_code)
        remote = ray.remote(_run_in_worker).options(num_cpus=self.task_cpus, num_gpus=self.task_gpus, max_retries=0)
        shared_ref = ray.put(shared) if shared is not None else None
        threads, cwd = max(1, int(self.task_cpus)), os.getcwd()
        died = _worker_died_errors()

        def submit(index: int):
            return remote.remote(fn, jobs[index], shared_ref, threads, cwd, driver_code)

        pending = {submit(i): i for i in range(len(jobs))}
        attempts = [0] * len(jobs)
        results: list[Any] = [None] * len(jobs)
        failures: list[tuple[int, Any, str]] = []
        self.retried = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            ref = ready[0]
            index = pending.pop(ref)
            try:
                result = ray.get(ref)
            except died as exc:
                reason = f"worker died ({type(exc).__name__}): {_first_line(exc)}"
                if attempts[index] < self.retries:
                    attempts[index] += 1
                    self.retried.append((index, attempts[index], reason))
                    on_retry(index, jobs[index], attempts[index], reason)
                    pending[submit(index)] = index
                    continue
                reason = f"{reason} (after {attempts[index]} retr{'y' if attempts[index] == 1 else 'ies'})"
                failures.append((index, jobs[index], reason))
                on_failure(index, jobs[index], reason, True)
                continue
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause if getattr(exc, "cause", None) is not None else exc
                reason = f"{type(cause).__name__}: {_first_line(cause)}"
                failures.append((index, jobs[index], reason))
                on_failure(index, jobs[index], reason, False)
                continue
            results[index] = result
            if on_result is not None:
                on_result(index, result)
        if failures:
            user_errors = [f for f in failures if f[2].startswith("UserError: ")]
            if len(user_errors) == len(failures) == 1:
                raise UserError(user_errors[0][2].removeprefix("UserError: "))
            raise TasksFailed(sorted(failures, key=lambda f: f[0]))
        return results


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__
