"""A run's life: started (run.json "running"), finished or failed, and given again (continued, or refused).

Everything that can be refused is refused before a run directory exists; once a run has started, a failure marks its
directory `failed` with the reason, and `metrics.json` (the mark of a finished run, see status.py) is written last.
"""
from __future__ import annotations

import time
from pathlib import Path

from ..errors import UserError
from .identity import code_fingerprint, config_hash, differing_settings
from .rundir import RunDir, RunFailed, check_run_name, is_storage_error, new_run_name, platform_info
from .status import is_finished


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def start_run(cfg, command: str, prefix: str, run_name: str | None, log_to=None, **fields) -> RunDir:
    """Create and lock the run directory, write config.json and run.json ("running"), log "start"."""
    run = RunDir.create(cfg.results_dir, run_name or new_run_name(prefix))
    run.write_json("config.json", cfg.to_dict())
    run.update_run(id=run.path.name, command=command, profile=cfg.profile, seed=cfg.seed, status="running", reason=None,
                   started=_now(), platform=platform_info(), config_hash=config_hash(cfg.to_dict()),
                   code=code_fingerprint(), **fields)
    run.log("start", command=command, **fields)
    return run


def finish_run(run: RunDir, status: str, reason: str | None = None) -> None:
    run.update_run(status=status, reason=reason, ended=_now())
    run.log(status, reason=reason)


def guarded(run: RunDir, work):
    """Run `work()`; on any failure mark the run failed with the reason; in every case release the run's lock.

    The exception propagates, except that a storage error (disk full, read-only, no permission: `is_storage_error`)
    comes back as `RunFailed`, which the CLI shows as one line. Recording the failure is best effort: on a full disk
    run.json may not be writable either, and that must not hide the error that stopped the run.
    """
    try:
        try:
            result = work()
        except BaseException as exc:  # KeyboardInterrupt included: the directory must say what happened
            reason = f"{type(exc).__name__}: {exc}".strip()[:2000]
            try:
                finish_run(run, "failed", reason)
                recorded = True
            except OSError:
                recorded = False
            if is_storage_error(exc):
                raise RunFailed(run.path, reason, recorded) from exc
            raise
        finish_run(run, "finished")
    finally:
        run.unlock()
    return result


def given_again(cfg, run_name: str | None, command: str, **identity) -> bool:
    """True when `run_name` names an unfinished run of this same command, architecture or strategy x space, and
    config: the caller then continues it (as `--resume` would). False when no such directory exists. Anything else
    there (a finished run, another run, other settings, not a run directory) is refused, so a name given twice never
    mixes two experiments in one directory."""
    if not run_name:
        return False
    path = Path(cfg.results_dir) / check_run_name(run_name)
    if not path.exists():
        return False
    run = RunDir.open(path)
    info = run.read_json("run.json")
    where = str(path)
    if is_finished(path):
        raise UserError(f"run {where!r} has already finished; pick another --run-name (or `ganas-bench eval` it)")
    theirs = {k: info.get(k) for k in identity}
    if info.get("command") != command or theirs != identity:
        raise UserError(f"run directory {where!r} holds another run ({info.get('command')}: "
                        f"{', '.join(f'{k}={v}' for k, v in theirs.items())}); pick another --run-name")
    differ = differing_settings(run.read_json("config.json"), cfg.to_dict())
    if differ:
        raise UserError(f"run {where!r} was started with other settings: {'; '.join(differ)[:500]}. Give the same "
                        "settings to continue it, or pick another --run-name")
    return True
