"""Damaged and hostile run directories: `--resume` and `eval` answer with one line and exit 2, never run code from a
checkpoint, never read or write through a planted link, and leave every file under the results folder as it was
(tests/cli_contract.py: the tree is hashed before and after). A resume checks every file it will read, the whole
checkpoint loaded into freshly built networks or a freshly started strategy, before it changes anything."""
import io
import json
import os
import pickle
import shutil
import zipfile

import pytest
import torch

from cli_contract import refused
from ganas_bench.cli import main
from ganas_bench.commands import command_run, command_train
from ganas_bench.config import make_config


class CodeOnLoad:
    """Unpickling this writes a marker file: what a hostile checkpoint would do with a plain `torch.load`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('code ran')",)


def smoke(results, **overrides):
    return make_config(profile="smoke", overrides={"results_dir": str(results), "device": "cpu", **overrides},
                       strategy=overrides.pop("strategy", None))


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    cfg = smoke(tmp_path_factory.mktemp("base"), train_iters=2, checkpoint_every=1)
    return command_train(cfg, "autogan_cifar10_a", "base").path


@pytest.fixture(scope="module")
def searched_run(tmp_path_factory):
    """A finished search-only rl run: its checkpoint.pt is the last search checkpoint."""
    cfg = make_config(profile="smoke", strategy="rl", overrides={
        "results_dir": str(tmp_path_factory.mktemp("search")), "device": "cpu", "checkpoint_every": 1})
    return command_run(cfg, "rl", "autogan", "s", search_only=True).path


def interrupted(run_dir, drop=("metrics.json",)):
    """As left by an interrupted run: no result files, status failed."""
    for name in drop:
        (run_dir / name).unlink()
    info = json.loads((run_dir / "run.json").read_text())
    (run_dir / "run.json").write_text(json.dumps({**info, "status": "failed", "reason": "KeyboardInterrupt: "}))


def copy_of(run, tmp_path, finished: bool, drop=("metrics.json",)):
    run_dir = tmp_path / "results" / "run"
    shutil.copytree(run, run_dir)
    if not finished:
        interrupted(run_dir, drop)
    return run_dir


def torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def edit_checkpoint(run_dir, change):
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    change(state)
    (run_dir / "checkpoint.pt").write_bytes(torch_bytes(state))


def zip_of(entries: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


# ------------------------------------------------------------------------------------- damage of a training run
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


def checkpoint_is_a_folder(run_dir, marker):  # 2, 17
    (run_dir / "checkpoint.pt").unlink()
    (run_dir / "checkpoint.pt").mkdir()


def metrics_is_a_folder(run_dir, marker):  # 17
    (run_dir / "metrics.json").unlink(missing_ok=True)
    (run_dir / "metrics.json").mkdir()


def lock_is_a_folder(run_dir, marker):  # 17
    (run_dir / ".lock").unlink()
    (run_dir / ".lock").mkdir()


def checkpoint_is_a_fifo(run_dir, marker):  # 10, 17: opening it must not block
    (run_dir / "checkpoint.pt").unlink()
    os.mkfifo(run_dir / "checkpoint.pt")


def events_is_a_fifo(run_dir, marker):  # 10, 17: appending to it must not block
    (run_dir / "events.jsonl").unlink()
    os.mkfifo(run_dir / "events.jsonl")


def metrics_links_to_a_system_file(run_dir, marker):  # 2, 14
    (run_dir / "metrics.json").unlink(missing_ok=True)
    os.symlink("/etc/hostname", run_dir / "metrics.json")


def events_link_outside(run_dir, marker):  # 14: a resume would append to the file outside
    outside = run_dir.parent / "outside.txt"
    outside.write_text("not a run file\n")
    (run_dir / "events.jsonl").unlink()
    os.symlink(outside, run_dir / "events.jsonl")


def checkpoint_links_elsewhere(run_dir, marker):  # 14
    os.replace(run_dir / "checkpoint.pt", run_dir.parent / "elsewhere.pt")
    os.symlink(run_dir.parent / "elsewhere.pt", run_dir / "checkpoint.pt")


def run_json_links_elsewhere(run_dir, marker):  # 14
    os.replace(run_dir / "run.json", run_dir.parent / "run.json")
    os.symlink(run_dir.parent / "run.json", run_dir / "run.json")


def final_scores_of_the_wrong_types(run_dir, marker):  # 2: would have been written into metrics.json
    edit_checkpoint(run_dir, lambda s: s.update(final={"scores": {"fid": "low", "is_mean": None}, "best_iter": 2}))


def best_scores_missing(run_dir, marker):  # 2
    edit_checkpoint(run_dir, lambda s: s.update(best={"iteration": 1}))


def generator_of_the_wrong_shapes(run_dir, marker):  # 2: found only once the networks exist
    def change(state):
        state["generator_ema"] = {k: torch.zeros(1) for k in state["generator_ema"]}
        state["trainer"]["G"] = state["generator_ema"]
    edit_checkpoint(run_dir, change)


def optimiser_moments_of_the_wrong_shape(run_dir, marker):  # torch's optimiser loads them and fails at its first step
    edit_checkpoint(run_dir, lambda s: s["trainer"]["opt_g"]["state"][0].update(exp_avg=torch.zeros(3)))


def data_stream_past_its_epoch(run_dir, marker):
    edit_checkpoint(run_dir, lambda s: s["batches"].update(position=10**6))


def clock_of_garbage(run_dir, marker):
    edit_checkpoint(run_dir, lambda s: s.update(clock={"train": "long"}))


def rng_of_garbage(run_dir, marker):
    edit_checkpoint(run_dir, lambda s: s["rng"].update(python=[1, 2]))


def another_architecture(run_dir, marker):
    edit_checkpoint(run_dir, lambda s: s.update(genotype=json.dumps({"space": "autogan", "choices": [0] * 14},
                                                                     separators=(",", ":"))))


HOSTILE = {  # what is wrong -> a fragment the message must hold (the file, or what is wrong with it)
    truncated: "checkpoint.pt", empty: "checkpoint.pt", code_in_torch_file: "checkpoint.pt",
    code_in_plain_pickle: "checkpoint.pt", zip_of_garbage: "checkpoint.pt", zip_of_nothing_torch: "checkpoint.pt",
    a_list_not_a_dict: "checkpoint.pt", config_not_json: "config.json", config_a_list: "config.json",
    config_bad_value: "train_iters", run_json_missing: "run.json", run_json_binary: "run.json",
    arch_not_a_genotype: "genotype", arch_out_of_range: "out of range", checkpoint_is_a_folder: "is a folder",
    metrics_is_a_folder: "is a folder", lock_is_a_folder: "is a folder", checkpoint_is_a_fifo: "not a regular file",
    events_is_a_fifo: "not a regular file", metrics_links_to_a_system_file: "symbolic link",
    events_link_outside: "symbolic link", checkpoint_links_elsewhere: "symbolic link",
    run_json_links_elsewhere: "symbolic link",
}
RESUME_ONLY = {  # what only a resume reads
    final_scores_of_the_wrong_types: "'final'", best_scores_missing: "'best'",
    generator_of_the_wrong_shapes: "does not fit this run", optimiser_moments_of_the_wrong_shape: "optimiser state",
    data_stream_past_its_epoch: "real-data stream", clock_of_garbage: "does not fit this run",
    rng_of_garbage: "does not fit this run", another_architecture: "does not belong to this run",
}

CASES = [(damage, command) for damage in HOSTILE for command in ("resume", "eval")
         if not (damage is run_json_binary and command == "eval")]  # eval reads no run.json, only that it exists
CASES += [(damage, "resume") for damage in RESUME_ONLY]


@pytest.mark.parametrize("damage,command", CASES, ids=[f"{d.__name__}-{c}" for d, c in CASES])
def test_a_damaged_run_directory_is_refused_in_one_line_and_left_untouched(finished_run, tmp_path, damage, command):
    run_dir = copy_of(finished_run, tmp_path, finished=command == "eval")
    marker = tmp_path / "results" / "marker"
    damage(run_dir, marker)
    args = ["train", "--resume", run_dir] if command == "resume" else ["eval", run_dir]
    refused(args, tmp_path / "results", {**HOSTILE, **RESUME_ONLY}[damage])
    assert not marker.exists()


def test_a_generator_of_the_wrong_shapes_is_refused_by_eval_too(finished_run, tmp_path):
    run_dir = copy_of(finished_run, tmp_path, finished=True)
    generator_of_the_wrong_shapes(run_dir, None)
    refused(["eval", run_dir], tmp_path / "results", "cannot be loaded into this run's generator")


@pytest.mark.parametrize("n_fake,fragment", [("5", "invalid --n-fake 5"), ("100", "invalid --n-fake 100; accepted: "
                                                                                    "an integer from 128"),
                                             (str(10**9), "to 10,000,000")])
def test_eval_n_fake_is_checked_against_the_runs_own_protocol(finished_run, tmp_path, n_fake, fragment):
    run_dir = copy_of(finished_run, tmp_path, finished=True)
    refused(["eval", run_dir, "--n-fake", n_fake], tmp_path / "results", fragment)


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


# ---------------------------------------------------------------------------------------- 2: metrics.json garbage
def test_2_a_garbage_metrics_json_neither_finishes_the_run_nor_sticks_it(finished_run, tmp_path, capsys):
    """An interrupted run whose metrics.json is garbage is unfinished: the resume finishes it (replacing the garbage
    with the result), and only then is a second resume refused as finished."""
    run_dir = copy_of(finished_run, tmp_path, finished=False)
    (run_dir / "metrics.json").write_text("{garbage")
    main(["train", "--resume", str(run_dir)])
    assert json.loads((run_dir / "run.json").read_text())["status"] == "finished"
    assert json.loads((run_dir / "metrics.json").read_text())["fid"] > 0
    refused(["train", "--resume", run_dir], tmp_path / "results", "has already finished")


# ------------------------------------------------------------------------------------- damage of a search checkpoint
def search_fields_missing(run_dir):
    (run_dir / "checkpoint.pt").write_bytes(torch_bytes({"kind": "search"}))


def controller_of_the_wrong_shape(run_dir):
    edit_checkpoint(run_dir, lambda s: s["strategy"]["controller"].update({"lstm.weight_ih": torch.zeros(3, 3)}))


def controller_moments_of_the_wrong_shape(run_dir):
    edit_checkpoint(run_dir, lambda s: s["strategy"]["controller_optimizer"]["state"][0].update(exp_avg=torch.zeros(2)))


def shared_trainer_missing(run_dir):
    edit_checkpoint(run_dir, lambda s: s["strategy"]["shared"].pop("trainer"))


def steps_of_garbage(run_dir):
    edit_checkpoint(run_dir, lambda s: s["harness"].update(steps="many"))


def search_clock_of_garbage(run_dir):
    edit_checkpoint(run_dir, lambda s: s.update(clock=[1, 2]))


def training_checkpoint_without_a_search(run_dir):
    edit_checkpoint(run_dir, lambda s: s.update(kind="train"))


def search_json_of_garbage(run_dir):
    (run_dir / "search.json").write_text(json.dumps({"ranked": [], "info": {}}))


SEARCH_DAMAGE = {
    search_fields_missing: "'strategy' entry", controller_of_the_wrong_shape: "size mismatch",
    controller_moments_of_the_wrong_shape: "optimiser state", shared_trainer_missing: "does not fit this search",
    steps_of_garbage: "does not fit this search", search_clock_of_garbage: "'rng' / 'clock'",
    training_checkpoint_without_a_search: "not a search checkpoint", search_json_of_garbage: "search.json",
}


@pytest.mark.parametrize("damage", SEARCH_DAMAGE, ids=[d.__name__ for d in SEARCH_DAMAGE])
def test_2_a_damaged_search_checkpoint_is_refused_before_the_run_is_touched(searched_run, tmp_path, damage):
    drop = ("metrics.json", "arch.json") + (() if damage is search_json_of_garbage else ("search.json",))
    run_dir = copy_of(searched_run, tmp_path, finished=False, drop=drop)
    damage(run_dir)
    refused(["run", "--resume", run_dir], tmp_path / "results", SEARCH_DAMAGE[damage])


def test_the_undamaged_search_checkpoint_does_resume(searched_run, tmp_path, capsys):
    """Guards the test above: the same copy, undamaged, resumes and finishes."""
    run_dir = copy_of(searched_run, tmp_path, finished=False, drop=("metrics.json", "arch.json", "search.json"))
    main(["run", "--resume", str(run_dir)])
    assert json.loads((run_dir / "run.json").read_text())["status"] == "finished"
    events = [json.loads(line)["event"] for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert "search_resume" in events
