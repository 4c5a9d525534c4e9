"""A run's life: started (run.json "running"), finished or failed, and given again (continued, or refused).

Everything that can be refused is refused before a run directory exists; once a run has started, a failure marks its
directory `failed` with the reason, and `metrics.json` (the mark of a finished run, see status.py) is written last.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from ..errors import UserError, one_line, preview
from .identity import code_fingerprint, config_hash, differing_settings
from .rundir import RunDir, RunFailed, check_run_name, is_storage_error, new_run_name, platform_info, shown
from .status import is_finished


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def start_run(cfg, command: str, prefix: str, run_name: str | None, log_to=None, **fields) -> RunDir:
    """Create and lock the run directory, write config.json and run.json ("running"), log "start".

    A storage failure before run.json exists (disk full at config.json) removes the new directory again, so nothing
    half-made is left that `--resume` could not read; one after it marks the run failed. Either way it comes back as
    one `RunFailed` naming the run and the file.
    """
    run = RunDir.create(cfg.results_dir, run_name or new_run_name(prefix))
    try:
        run.write_json("config.json", cfg.to_dict())
        run.update_run(id=run.path.name, command=command, profile=cfg.profile, seed=cfg.seed, status="running",
                       reason=None, started=_now(), platform=platform_info(), config_hash=config_hash(cfg.to_dict()),
                       code=code_fingerprint(), **fields)
        run.log("start", command=command, **fields)
    except OSError as exc:
        if not is_storage_error(exc):
            raise
        reason = f"{type(exc).__name__}: {exc}"
        if run.has("run.json"):
            recorded = _record_failure(run, reason)
            run.unlock()
            raise RunFailed(run.path, reason, recorded) from exc
        run.unlock()
        shutil.rmtree(run.path, ignore_errors=True)
        raise RunFailed(run.path, reason, False, hint="the run directory was removed again; fix the cause (free space, "
                        "permissions), then run the command again") from exc
    return run


def finish_run(run: RunDir, status: str, reason: str | None = None) -> None:
    run.update_run(status=status, reason=reason, ended=_now())
    run.log(status, reason=reason)


def _record_failure(run: RunDir, reason: str) -> bool:
    """Mark the run failed with `reason` in run.json (then events.jsonl); best effort (on a full disk run.json may not
    be writable either). True when run.json says so."""
    try:
        run.update_run(status="failed", reason=reason, ended=_now())
    except (OSError, UserError):
        return False
    try:
        run.log("failed", reason=reason)
    except OSError:
        pass
    return True


def guarded(run: RunDir, work, expected: tuple[type[BaseException], ...] = ()):
    """Run `work()`; on any failure mark the run failed with the reason; in every case release the run's lock.

    A failure that is not a bug comes back as `RunFailed` (one line at the CLI, exit 1): a storage error (disk full,
    read-only, no permission, a folder where a file belongs: `is_storage_error`), a `UserError` only the work could
    find, or one of the `expected` exception types (e.g. a training that diverged). Anything else propagates with its
    traceback. The run counts as finished only when `work` has left a valid metrics.json (runs/status.py), which only
    the writing process checks (under torchrun, rank 0).
    """
    try:
        try:
            result = work()
            if run.writes and not is_finished(run.path):  # a torchrun follower writes nothing; rank 0 checks
                raise RuntimeError(f"the work ended without a valid metrics.json in {shown(run.path)}")
        except BaseException as exc:  # KeyboardInterrupt included: the directory must say what happened
            reason = f"{type(exc).__name__}: {exc}".strip()[:2000]
            recorded = _record_failure(run, reason)
            if is_storage_error(exc):
                raise RunFailed(run.path, reason, recorded) from exc
            if isinstance(exc, (UserError, *expected)):
                raise RunFailed(run.path, reason, recorded, hint=_hint(exc)) from exc
            raise
        finish_run(run, "finished")
    finally:
        run.unlock()
    return result


def _hint(exc: BaseException) -> str:
    if type(exc).__name__ == "DivergedError":
        return ("a NaN/Inf loss, which a resume would meet again: start a new run with lower learning rates "
                "(--lr-g, --lr-d) or another architecture")
    return ""


def given_again(cfg, run_name: str | None, command: str, **identity) -> bool:
    """True when `run_name` names an unfinished run of this same command, architecture or strategy x space, and
    config: the caller then continues it (as `--resume` would). False when no such directory exists. Anything else
    there (a finished run, another run, other settings, not a run directory) is refused, so a name given twice never
    mixes two experiments in one directory."""
    if not run_name:
        return False
    path = Path(cfg.results_dir) / check_run_name(run_name)
    if not os.path.lexists(path):
        return False
    where = shown(path)
    if path.is_symlink():
        raise UserError(f"run directory {where} is a symbolic link; pick another --run-name")
    run = RunDir.open(path).check_entries()
    info = run.read_json("run.json")
    if is_finished(path):
        raise UserError(f"run {where} has already finished; pick another --run-name (or `ganas-bench eval` it)")
    theirs = {k: info.get(k) for k in identity}
    if info.get("command") != command or theirs != identity:
        held = ", ".join(f"{k}={v}" for k, v in theirs.items())
        raise UserError(f"run directory {where} holds another run ({preview(info.get('command'))}: "
                        f"{one_line(held, 100)}); pick another --run-name")
    differ = differing_settings(run.read_json("config.json"), cfg.to_dict())
    if differ:
        raise UserError(f"run {where} was started with other settings: {one_line('; '.join(differ), 120)}. Give the "
                        "same settings to continue it, or pick another --run-name")
    return True
