"""The storage under a run: read-only folders, a full disk, two processes on one run directory, names that never
collide. Failures reach the user as one line: exit 2 for what is refused before a run starts, exit 1 for a run that
failed after it started (its run.json says why and `--resume` continues it)."""
import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from cli_contract import check_refusal, refused
from ganas_bench.checkpoint import load_checkpoint
from ganas_bench.cli import main
from ganas_bench.config import make_config
from ganas_bench.errors import UserError
from ganas_bench.commands import guarded
from ganas_bench.runs import rundir
from ganas_bench.runs.rundir import RunDir, RunFailed, atomic_write_json, new_run_name

SMOKE = ["--profile", "smoke", "--device", "cpu"]


def cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr().err


def one_line(err):
    """One `error:` line, last, no traceback (progress-bar lines from tqdm may come before it)."""
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.strip()]
    return ([line for line in lines if line.startswith("error: ")] == lines[-1:] and lines[-1].startswith("error: ")
            and "Traceback" not in err)


def python(code, **kwargs):
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def cli_process(args):
    return subprocess.Popen([sys.executable, "-m", "ganas_bench.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def open_file_name(fd):
    return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))


needs_proc_fd = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names open files through /proc")


# ------------------------------------------------------------------------------------------------ read-only folders
def run_with_read_only_folder(folder, args):
    """The CLI with `folder` read-only, and what `folder` then holds as the CLI saw it. A normal user gets chmod 555;
    root, whom permissions do not stop, gets a read-only tmpfs mounted over `folder` in a private mount namespace."""
    cli_args = [sys.executable, "-m", "ganas_bench.cli", *args]
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            proc = subprocess.run(cli_args, capture_output=True, text=True)
        finally:
            folder.chmod(0o755)
        return proc.returncode, proc.stderr, sorted(os.listdir(folder))
    if not shutil.which("unshare"):
        pytest.skip("running as root without unshare(1): no way to make a folder read-only")
    script = 'mount -t tmpfs -o ro tmpfs "$0" || exit 99; "$@"; code=$?; echo "HOLDS:$(ls -A "$0")"; exit $code'
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script, str(folder), *cli_args], capture_output=True, text=True)
    if proc.returncode == 99:
        pytest.skip("running as root without the right to mount: no way to make a folder read-only")
    holds = proc.stdout.split("HOLDS:")[-1].split()
    return proc.returncode, proc.stderr, holds


def test_a_read_only_results_folder_is_refused_in_one_line_and_nothing_is_created(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    code, err, holds = run_with_read_only_folder(folder, ["train", *SMOKE, "--results-dir", str(folder / "runs"),
                                                          "--run-name", "r"])
    check_refusal(code, err, {}, {name: () for name in holds}, ["not writable", str(folder)])


# ---------------------------------------------------------------------------------------------------- a full disk
def test_a_full_disk_leaves_no_torn_file_and_the_error_names_the_file(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    atomic_write_json(target, {"x": 1})

    def no_space(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", no_space)
    with pytest.raises(OSError) as exc:
        atomic_write_json(target, {"x": 2})
    monkeypatch.undo()
    assert exc.value.errno == errno.ENOSPC and exc.value.filename == str(target)
    assert json.loads(target.read_text()) == {"x": 1} and [p.name for p in tmp_path.iterdir()] == ["a.json"]


@needs_proc_fd
def test_a_full_disk_during_a_checkpoint_fails_the_run_in_one_line_and_keeps_the_previous_checkpoint(tmp_path, capsys,
                                                                                                     monkeypatch):
    run_dir = tmp_path / "runs" / "full"
    real_write = os.write

    def fills_after_the_first_checkpoint(fd, data):
        if open_file_name(fd).startswith(".checkpoint.pt.") and (run_dir / "checkpoint.pt").exists():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", fills_after_the_first_checkpoint)
    code, err = cli(["train", *SMOKE, "--results-dir", str(tmp_path / "runs"), "--run-name", "full",
                     "--train-iters", "4", "--checkpoint-every", "2"], capsys)
    monkeypatch.undo()
    assert code == 1, err
    assert one_line(err) and "No space left on device" in err and "checkpoint.pt" in err and "--resume" in err
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "failed" and "[Errno 28] No space left on device" in info["reason"]
    assert load_checkpoint(run_dir / "checkpoint.pt")["iteration"] == 2
    assert not (run_dir / "metrics.json").exists()
    assert [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")] == []

    main(["train", "--resume", str(run_dir)])  # space is back: it continues from iteration 2
    assert json.loads((run_dir / "run.json").read_text())["status"] == "finished"
    assert (run_dir / "metrics.json").exists()


def test_a_failure_that_cannot_even_be_recorded_still_reaches_the_user(tmp_path, monkeypatch):
    run = RunDir.create(tmp_path, "r")
    run.write_json("run.json", {"status": "running"})

    def no_space(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def work():
        monkeypatch.setattr(os, "write", no_space)  # the disk is full now: run.json cannot be rewritten either
        raise OSError(errno.ENOSPC, "No space left on device", str(run.file("checkpoint.pt")))

    with pytest.raises(RunFailed) as exc:
        guarded(run, work)
    monkeypatch.undo()
    assert not exc.value.recorded and "could not be recorded" in str(exc.value)
    assert "No space left on device" in str(exc.value) and len(str(exc.value).splitlines()) == 1
    assert json.loads(run.file("run.json").read_text()) == {"status": "running"}
    RunDir.open(run.path).lock()  # guarded released the run


def test_storage_errors_outside_a_run_are_one_line_and_other_errors_keep_their_traceback(tmp_path, capsys, monkeypatch):
    import ganas_bench.commands as pipeline

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "eval-256.json"))

    monkeypatch.setattr(pipeline, "command_eval", read_only)
    code, err = cli(["eval", str(tmp_path)], capsys)
    assert code == 1 and one_line(err) and "Read-only file system" in err

    def bug(*args, **kwargs):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "somewhere")

    monkeypatch.setattr(pipeline, "command_eval", bug)
    with pytest.raises(FileNotFoundError):
        main(["eval", str(tmp_path)])


# ------------------------------------------------------------------------------------- two processes, one directory
def test_two_runs_with_the_same_name_started_at_once_never_share_a_directory(tmp_path):
    procs = {seed: cli_process(["train", *SMOKE, "--results-dir", str(tmp_path), "--run-name", "same",
                                "--seed", str(seed), "--train-iters", "1"]) for seed in (0, 1)}
    results = {seed: (proc.communicate(timeout=600), proc.returncode) for seed, proc in procs.items()}
    assert sorted(code for _, code in results.values()) == [0, 2], results
    winner = next(seed for seed, (_, code) in results.items() if code == 0)
    (_, loser_err), _ = results[1 - winner]
    assert "already exists" in loser_err and one_line(loser_err)
    run_dir = tmp_path / "same"
    info = json.loads((run_dir / "run.json").read_text())
    assert info["seed"] == winner and info["status"] == "finished"
    assert json.loads((run_dir / "config.json").read_text())["seed"] == winner
    events = [json.loads(line)["event"] for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert events.count("start") == 1


def test_generated_run_names_differ_between_processes_and_within_one_second(monkeypatch):
    import ganas_bench.runs.rundir as results

    procs = [python("import os; from ganas_bench.runs.rundir import new_run_name; print(new_run_name('x'), os.getpid())")
             for _ in range(2)]
    outputs = [proc.communicate(timeout=120)[0].split() for proc in procs]
    assert all(name.endswith(f"-{pid}") for name, pid in outputs)
    assert outputs[0][0] != outputs[1][0]

    monkeypatch.setattr(results.time, "strftime", lambda fmt, t: "20250101-000000")
    names = [new_run_name("train-x") for _ in range(3)]
    assert len(set(names)) == 3 and all(f"-{os.getpid()}" in n for n in names)


def test_a_run_in_use_is_refused_and_freed_when_its_process_is_killed(tmp_path):
    holder = python(f"""
        import time
        from ganas_bench.runs.rundir import RunDir
        run = RunDir.create({str(tmp_path)!r}, "r")  # locked while this object lives
        print("locked", flush=True)
        time.sleep(600)
    """)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(UserError, match="in use by another ganas-bench process"):
        RunDir(tmp_path / "r").lock()  # no run.json yet, so not RunDir.open
    holder.kill()
    holder.communicate()
    RunDir(tmp_path / "r").lock().unlock()  # the kernel released the killed process's lock


def test_resuming_a_run_that_is_still_going_is_refused_and_changes_nothing(tmp_path):
    cfg = make_config(profile="smoke", overrides={"device": "cpu", "results_dir": str(tmp_path)})
    running = RunDir.create(tmp_path, "busy")
    running.write_json("config.json", cfg.to_dict())
    running.write_json("run.json", {"command": "train", "status": "running", "arch_name": None,
                                    "genotype": {"space": "autogan", "choices": [0] * 14}})
    refused(["train", "--resume", running.path], tmp_path, "in use by another ganas-bench process")
    refused(["eval", running.path], tmp_path, "in use by another ganas-bench process")
    running.unlock()


def test_claiming_a_run_removes_torn_temp_files_and_nothing_else(tmp_path):
    run = RunDir.create(tmp_path, "r")
    run.unlock()
    torn = run.file(".checkpoint.pt.0123456789abcdef.tmp")
    torn.write_bytes(b"half a checkpoint")
    kept = [run.file("notes.tmp"), run.file(".hidden.tmp"), run.file("checkpoint.pt")]
    for path in kept:
        path.write_bytes(b"mine")
    RunDir(run.path).lock().unlock()
    assert not torn.exists() and all(p.read_bytes() == b"mine" for p in kept)


def test_an_event_line_torn_by_a_full_disk_does_not_swallow_the_next_event(tmp_path):
    run = RunDir.create(tmp_path, "r")
    run.log("before")
    with open(run.file("events.jsonl"), "ab") as fh:
        fh.write(b'{"event": "tor')
    run.log("after", n=1)
    lines = run.file("events.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["event"] == "before" and json.loads(lines[-1])["event"] == "after" and len(lines) == 3


def test_written_files_get_the_umask_mode_not_a_private_one(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_json(tmp_path / "a.json", {})
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------------------- failures of a started run: exit 1, one line
def test_15_a_full_disk_before_run_json_exists_names_the_run_and_the_file_and_leaves_nothing(tmp_path, capsys,
                                                                                            monkeypatch):
    real_create = rundir._create_temp

    def full_at_config(path):
        if path.name == "config.json":
            raise OSError(errno.ENOSPC, "No space left on device", str(path.parent / f".{path.name}.x.tmp"))
        return real_create(path)

    monkeypatch.setattr(rundir, "_create_temp", full_at_config)
    (tmp_path / "runs").mkdir()
    code, err = cli(["train", *SMOKE, "--results-dir", str(tmp_path / "runs"), "--run-name", "full"], capsys)
    assert code == 1 and one_line(err), err
    assert "'" + str(tmp_path / "runs" / "full") + "'" in err and "config.json" in err and "No space left" in err
    assert "run the command again" in err
    assert list((tmp_path / "runs").iterdir()) == []  # nothing half-made that --resume could not read


@needs_proc_fd
def test_15_a_full_disk_at_the_first_event_marks_the_run_failed_and_resume_continues_it(tmp_path, capsys,
                                                                                         monkeypatch):
    real_write = os.write

    def full_at_events(fd, data):
        if open_file_name(fd) == "events.jsonl":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_at_events)
    code, err = cli(["train", *SMOKE, "--results-dir", str(tmp_path), "--run-name", "r", "--train-iters", "2"], capsys)
    monkeypatch.undo()
    assert code == 1 and one_line(err) and "events.jsonl" in err and "--resume" in err, err
    info = json.loads((tmp_path / "r" / "run.json").read_text())
    assert info["status"] == "failed" and "No space left on device" in info["reason"]
    main(["train", "--resume", str(tmp_path / "r")])
    assert json.loads((tmp_path / "r" / "run.json").read_text())["status"] == "finished"


def test_17_a_folder_where_the_checkpoint_belongs_fails_the_run_in_one_line_and_resume_continues(tmp_path, capsys,
                                                                                                 monkeypatch):
    """Something replaces checkpoint.pt by a folder while the run goes on: EISDIR is a storage error of that file."""
    import ganas_bench.final_training as final_training

    real_checkpoint = final_training.FinalTraining._checkpoint
    calls = {"n": 0}

    def folder_appears(self, iteration):
        calls["n"] += 1
        if calls["n"] == 2:
            self.run.file("checkpoint.pt").unlink()
            self.run.file("checkpoint.pt").mkdir()
        return real_checkpoint(self, iteration)

    monkeypatch.setattr(final_training.FinalTraining, "_checkpoint", folder_appears)
    code, err = cli(["train", *SMOKE, "--results-dir", str(tmp_path), "--run-name", "r", "--train-iters", "4",
                     "--checkpoint-every", "1"], capsys)
    monkeypatch.undo()
    assert code == 1 and one_line(err) and "checkpoint.pt" in err and "Is a directory" in err, err
    assert json.loads((tmp_path / "r" / "run.json").read_text())["status"] == "failed"
    refused(["train", "--resume", tmp_path / "r"], tmp_path, "checkpoint.pt", "is a folder")  # until it is moved away
    (tmp_path / "r" / "checkpoint.pt").rmdir()
    main(["train", "--resume", str(tmp_path / "r")])
    assert json.loads((tmp_path / "r" / "run.json").read_text())["status"] == "finished"


def test_7_a_final_training_that_diverges_ends_the_run_failed_with_the_reason_in_one_line(tmp_path, capsys,
                                                                                          monkeypatch):
    from ganas_bench.training import DivergedError, GANTrainer

    from call_faults import raise_on_call

    raise_on_call(monkeypatch, GANTrainer, "iteration", 2, DivergedError("G loss is nan after 2 D steps / 1 G steps"))
    code, err = cli(["train", *SMOKE, "--results-dir", str(tmp_path), "--run-name", "r", "--train-iters", "3"], capsys)
    assert code == 1 and one_line(err), err
    assert "G loss is nan" in err and "--lr-g" in err and str(tmp_path / "r") in err
    info = json.loads((tmp_path / "r" / "run.json").read_text())
    assert info["status"] == "failed" and info["reason"].startswith("DivergedError: G loss is nan")


def test_7_huge_learning_rates_are_refused_before_they_can_diverge(tmp_path):
    refused(["train", *SMOKE, "--results-dir", tmp_path, "--lr-g", "1e30", "--lr-d", "1e30"], tmp_path,
            "invalid lr_g=1e+30")


def test_a_refusal_only_the_work_can_find_ends_the_started_run_failed_with_exit_1(tmp_path, capsys, monkeypatch):
    import ganas_bench.final_training as final_training

    def refuses(self, *args, **kwargs):
        raise UserError("all 3 random candidates failed (see the candidate_failed events)")

    monkeypatch.setattr(final_training.FinalTraining, "__call__", refuses)
    code, err = cli(["train", *SMOKE, "--results-dir", str(tmp_path), "--run-name", "r"], capsys)
    assert code == 1 and one_line(err) and "all 3 random candidates failed" in err, err
    assert json.loads((tmp_path / "r" / "run.json").read_text())["status"] == "failed"
