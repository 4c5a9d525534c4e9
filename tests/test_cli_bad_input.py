"""Bad input at the command line: one line naming the bad value and what is accepted, exit code 2, no run directory."""
import subprocess
import sys

import pytest

from ganas_bench.cli import main


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


@pytest.mark.parametrize("args,fragment", [
    (["train", "--arch", "no_such_arch"], "unknown architecture 'no_such_arch'"),
    (["train", "--train-iters", "0"], "invalid train_iters=0"),
    (["train", "--n-fake", "-5"], "invalid n_fake=-5"),
    (["train", "--dataset", "mnist"], "invalid dataset='mnist'"),
    (["run", "--strategy", "nope", "--space", "autogan"], "unknown strategy 'nope'"),
    (["run", "--strategy", "rl", "--space", "nope"], "unknown search space 'nope'"),
    (["train", "--seeds", "0,x"], "invalid --seeds"),
    (["train", "--run-name", "../escape"], "invalid run name"),
])
def test_bad_input_is_one_line_exit_2_and_leaves_no_run(tmp_path, capsys, args, fragment):
    code, out, err = run_cli(args + ["--results-dir", str(tmp_path / "runs"), "--profile", "smoke"], capsys)
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_unknown_profile_is_refused_by_the_cli(tmp_path, capsys):
    code, _, err = run_cli(["train", "--profile", "huge"], capsys)
    assert code == 2 and "huge" in err


def test_unreadable_config_file(tmp_path, capsys):
    bad = tmp_path / "c.json"
    bad.write_text("{oops")
    code, _, err = run_cli(["train", "--config", str(bad), "--results-dir", str(tmp_path / "runs")], capsys)
    assert code == 2 and "not valid json" in err and not (tmp_path / "runs").exists()


def test_missing_dataset_offline_says_what_to_fetch(tmp_path, capsys):
    code, _, err = run_cli(["train", "--profile", "cifar10", "--device", "cpu", "--data-root", str(tmp_path / "d"),
                            "--results-dir", str(tmp_path / "runs")], capsys)
    assert code == 2 and "cifar" in err.lower() and "--download" in err
    assert not (tmp_path / "runs").exists()


def test_list_names_every_plugin_and_profile(capsys):
    main(["list"])
    out = capsys.readouterr().out
    for name in ("autogan", "adversarialnas", "rl", "random", "differentiable", "tiny", "smoke", "cifar10", "stl10",
                 "autogan_cifar10_a", "adversarialnas_cifar10"):
        assert name in out


def test_console_script_help_shows_profile_defaults():
    out = subprocess.run([sys.executable, "-m", "ganas_bench.cli", "train", "--help"], capture_output=True, text=True,
                         check=True).stdout
    flat = " ".join(out.split())
    assert "--train-iters" in flat and "tiny: 600; smoke: 30; cifar10: 50000; stl10: 50000" in flat
