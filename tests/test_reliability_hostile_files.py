"""Damaged and hostile files in a run directory: `train --resume` and `eval` answer with one UserError line and exit 2,
never run code from a checkpoint, and leave every file of the run directory as it was (contents and mtimes)."""
import hashlib
import io
import json
import pickle
import shutil
import zipfile

import pytest
import torch

from ganas_bench.cli import main
from ganas_bench.config import make_config
from ganas_bench.commands import command_train


class CodeOnLoad:
    """Unpickling this writes a marker file: what a hostile checkpoint would do with a plain `torch.load`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('code ran')",)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    cfg = make_config(profile="smoke", overrides={"results_dir": str(tmp_path_factory.mktemp("base")), "device": "cpu",
                                                  "train_iters": 2, "checkpoint_every": 1})
    return command_train(cfg, "autogan_cifar10_a", "base").path


def copy_of(finished_run, tmp_path, finished: bool):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir)
    if not finished:  # as left by an interrupted run: no metrics.json, status failed
        (run_dir / "metrics.json").unlink()
        info = json.loads((run_dir / "run.json").read_text())
        (run_dir / "run.json").write_text(json.dumps({**info, "status": "failed", "reason": "KeyboardInterrupt: "}))
    return run_dir


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def zip_of(entries: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def truncated(run_dir, marker):
    data = (run_dir / "checkpoint.pt").read_bytes()
    (run_dir / "checkpoint.pt").write_bytes(data[: len(data) // 2])


def empty(run_dir, marker):
    (run_dir / "checkpoint.pt").write_bytes(b"")


def code_in_torch_file(run_dir, marker):
    (run_dir / "checkpoint.pt").write_bytes(torch_bytes({"generator_ema": CodeOnLoad(marker), "kind": "train"}))


def code_in_plain_pickle(run_dir, marker):
    (run_dir / "checkpoint.pt").write_bytes(pickle.dumps(CodeOnLoad(marker), protocol=2))


def zip_of_garbage(run_dir, marker):
    garbage = {"archive/data.pkl": bytes(range(256)) * 3, "archive/version": b"3\n", "archive/data/0": b"\x00" * 64}
    (run_dir / "checkpoint.pt").write_bytes(zip_of(garbage))


def zip_of_nothing_torch(run_dir, marker):
    (run_dir / "checkpoint.pt").write_bytes(zip_of({"readme.txt": b"hello", "x/y": b"\xff" * 10}))


def a_list_not_a_dict(run_dir, marker):
    (run_dir / "checkpoint.pt").write_bytes(torch_bytes([1, 2, 3]))


def config_not_json(run_dir, marker):
    (run_dir / "config.json").write_text("{this is not json")


def config_a_list(run_dir, marker):
    (run_dir / "config.json").write_text("[1, 2]")


def config_bad_value(run_dir, marker):
    config = json.loads((run_dir / "config.json").read_text())
    (run_dir / "config.json").write_text(json.dumps({**config, "train_iters": "many"}))


def run_json_missing(run_dir, marker):
    (run_dir / "run.json").unlink()


def run_json_binary(run_dir, marker):
    (run_dir / "run.json").write_bytes(b"\xff\xfe\x00garbage")


def arch_not_a_genotype(run_dir, marker):
    (run_dir / "arch.json").write_text(json.dumps({"genotype": {"space": "autogan", "choices": ["x"]}}))


def arch_out_of_range(run_dir, marker):
    (run_dir / "arch.json").write_text(json.dumps({"genotype": {"space": "autogan", "choices": [99] * 14}}))


HOSTILE = {  # what is wrong -> the file the message must name
    truncated: "checkpoint.pt", empty: "checkpoint.pt", code_in_torch_file: "checkpoint.pt",
    code_in_plain_pickle: "checkpoint.pt", zip_of_garbage: "checkpoint.pt", zip_of_nothing_torch: "checkpoint.pt",
    a_list_not_a_dict: "checkpoint.pt", config_not_json: "config.json", config_a_list: "config.json",
    config_bad_value: "train_iters", run_json_missing: "run.json", run_json_binary: "run.json",
    arch_not_a_genotype: "genotype", arch_out_of_range: "out of range",
}


def cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr().err


CASES = [(damage, command) for damage in HOSTILE for command in ("resume", "eval")
         if not (damage is run_json_binary and command == "eval")]  # eval reads no run.json, only that it exists


@pytest.mark.parametrize("damage,command", CASES, ids=[f"{d.__name__}-{c}" for d, c in CASES])
def test_a_damaged_run_directory_is_refused_in_one_line_and_left_untouched(finished_run, tmp_path, capsys, damage,
                                                                            command):
    run_dir = copy_of(finished_run, tmp_path, finished=command == "eval")
    marker = tmp_path / "marker"
    damage(run_dir, marker)
    before = snapshot(run_dir)
    code, err = cli(["train", "--resume", str(run_dir)] if command == "resume" else ["eval", str(run_dir)], capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err
    assert HOSTILE[damage] in err
    assert not marker.exists()
    assert snapshot(run_dir) == before


@pytest.mark.parametrize("build", [code_in_torch_file, code_in_plain_pickle])
def test_the_hostile_checkpoints_really_run_code_when_loaded_unsafely(tmp_path, build):
    """Guards the test above: without weights_only these files do execute code."""
    (tmp_path / "run").mkdir()
    marker = tmp_path / "marker"
    build(tmp_path / "run", marker)
    data = (tmp_path / "run" / "checkpoint.pt").read_bytes()
    if build is code_in_plain_pickle:
        pickle.loads(data)
    else:
        torch.load(io.BytesIO(data), weights_only=False)
    assert marker.read_text() == "code ran"


def test_a_checkpoint_of_another_architecture_is_refused_before_anything_is_written(finished_run, tmp_path, capsys):
    run_dir = copy_of(finished_run, tmp_path, finished=False)
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    state["genotype"] = json.dumps({"space": "autogan", "choices": [0] * 14}, separators=(",", ":"))
    (run_dir / "checkpoint.pt").write_bytes(torch_bytes(state))
    before = snapshot(run_dir)
    code, err = cli(["train", "--resume", str(run_dir)], capsys)
    assert code == 2 and "does not belong to this run" in err and len(err.strip().splitlines()) == 1
    assert snapshot(run_dir) == before


def test_a_checkpoint_whose_tensors_do_not_fit_is_refused_in_one_line(finished_run, tmp_path, capsys):
    """Well-formed but wrong shapes: eval refuses before writing; a resume finds out only once the models exist, so
    it records the failure in run.json but leaves the checkpoint as it was."""
    run_dir = copy_of(finished_run, tmp_path, finished=True)
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    state["generator_ema"] = {k: torch.zeros(1) for k in state["generator_ema"]}
    state["trainer"]["G"] = state["generator_ema"]
    (run_dir / "checkpoint.pt").write_bytes(torch_bytes(state))
    before = snapshot(run_dir)
    code, err = cli(["eval", str(run_dir)], capsys)
    assert code == 2 and "cannot be loaded into this run's generator" in err and len(err.strip().splitlines()) == 1
    assert snapshot(run_dir) == before

    (run_dir / "metrics.json").unlink()
    checkpoint = (run_dir / "checkpoint.pt").read_bytes()
    code, err = cli(["train", "--resume", str(run_dir)], capsys)
    assert code == 2 and "does not fit this run" in err and len(err.strip().splitlines()) == 1
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "failed" and "does not fit this run" in info["reason"]
    assert (run_dir / "checkpoint.pt").read_bytes() == checkpoint
