"""Run directories: atomic writes, refusal to reuse a directory, and names that cannot escape the results folder."""
import json

import pytest

from ganas_bench.errors import UserError
from ganas_bench.runs.rundir import RunDir, atomic_write_json, check_run_name


def test_atomic_write_leaves_no_temp_files(tmp_path):
    atomic_write_json(tmp_path / "a.json", {"x": 1})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_failed_serialisation_keeps_the_previous_file(tmp_path):
    atomic_write_json(tmp_path / "a.json", {"x": 1})
    with pytest.raises(TypeError):
        atomic_write_json(tmp_path / "a.json", {"x": object()})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "", "x" * 200])
def test_run_names_cannot_escape_the_results_directory(name):
    with pytest.raises(UserError, match="invalid run name"):
        check_run_name(name)


def test_a_run_directory_is_never_reused(tmp_path):
    run = RunDir.create(tmp_path, "r1")
    run.log("hello", n=1)
    with pytest.raises(UserError, match="already exists"):
        RunDir.create(tmp_path, "r1")
    rows = [json.loads(line) for line in run.file("events.jsonl").read_text().splitlines()]
    assert rows[0]["event"] == "hello" and rows[0]["n"] == 1


def test_opening_something_that_is_not_a_run(tmp_path):
    with pytest.raises(UserError, match="not a run directory"):
        RunDir.open(tmp_path)
