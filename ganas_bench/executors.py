"""Where independent jobs run (matrix runs, proxy-study trainings): one after another in this process (`local`), or
spread by an engine made for it. Every executor takes picklable jobs and a top-level function, returns results in the
order of the jobs, and reports each result as it lands, so progress and ETA lines work the same everywhere."""
from __future__ import annotations

from typing import Callable, Iterable, TypeVar

from .errors import UserError

T = TypeVar("T")
R = TypeVar("R")
EXECUTORS = ("local",)


class LocalExecutor:
    name = "local"

    def map(self, fn: Callable[[T], R], jobs: Iterable[T], on_result: Callable[[int, R], None] | None = None) -> list[R]:
        results = []
        for index, job in enumerate(jobs):
            results.append(fn(job))
            if on_result is not None:
                on_result(index, results[-1])
        return results


def get_executor(name: str, **options):
    if name == "local":
        return LocalExecutor()
    raise UserError(f"unknown executor {preview_name(name)}; accepted: {', '.join(EXECUTORS)}")


def preview_name(name) -> str:
    from .errors import preview

    return preview(name)
