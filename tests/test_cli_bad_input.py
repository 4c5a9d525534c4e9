"""Bad input at the command line: one line naming the bad value and what is accepted, exit code 2, and not one file or
folder created or changed under the results directory (tests/cli_contract.py). Every test of a refusal here goes
through `refused`; the numbers in the names are the causes of issue 15."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from cli_contract import refused, tree_state
from ganas_bench.cli import main
from ganas_bench.metrics import untrained_inception_state_dict

SMOKE = ["--profile", "smoke", "--device", "cpu"]
GENOTYPE = {"space": "autogan", "choices": [0, 2, 0, 0, 0, 1, 1, 1, 1, 0, 2, 1, 0, 0]}


def cmd(command, results, *args):
    return [command, *args, *SMOKE, "--results-dir", results / "runs"]


@pytest.mark.parametrize("args,fragment", [
    (["--arch", "no_such_arch"], "unknown architecture 'no_such_arch'"),
    (["--train-iters", "0"], "invalid train_iters=0"),
    (["--n-fake", "-5"], "invalid n_fake=-5"),
    (["--dataset", "mnist"], "invalid dataset='mnist'"),
    (["--seeds", "0,x"], "invalid --seeds"),
    (["--run-name", "../escape"], "invalid run name"),
    (["--profile", "huge"], "huge"),
])
def test_bad_values_of_train_are_refused(results, args, fragment):
    profile = [] if "--profile" in args else ["--profile", "smoke"]
    refused(["train", *args, *profile, "--device", "cpu", "--results-dir", results / "runs"], results, fragment)


@pytest.mark.parametrize("args,fragment", [
    (["--strategy", "nope", "--space", "autogan"], "unknown strategy 'nope'"),
    (["--strategy", "rl", "--space", "nope"], "unknown search space 'nope'"),
    (["--strategy", "rl"], "run needs --strategy and --space"),
])
def test_bad_names_of_run_are_refused(results, args, fragment):
    refused(cmd("run", results, *args), results, fragment)


# ------------------------------------------------------------------------------------------ 1: long --arch values
def test_1_a_valid_inline_genotype_longer_than_a_file_name_is_read_as_json(results):
    padded = json.dumps(GENOTYPE, indent=2).replace("[", "[" + " " * 400)
    assert len(padded) > 255
    # the genotype resolves; the image size is what is refused, so nothing runs
    refused(cmd("train", results, "--arch", padded, "--image-size", "20"), results, "invalid image_size=20")


@pytest.mark.parametrize("arch", ["x" * 300, "x" * 300 + ".json", "/" + "y" * 5000, "a\0b.json", "a/" * 3000])
def test_1_an_arch_no_file_system_can_hold_is_refused_in_one_line(results, arch):
    line = refused(cmd("train", results, "--arch", arch), results)
    assert "unknown architecture" in line or "genotype file" in line


def test_1_estimate_reads_a_long_inline_genotype_too(capsys):
    padded = json.dumps(GENOTYPE, indent=2) + " " * 300
    main(["estimate", "--arch", padded, *SMOKE])
    assert json.loads(capsys.readouterr().out)["train"]["params_g"] > 0


# ------------------------------------------------------------------------------ 4: refused before the run directory
@pytest.mark.parametrize("args,fragment", [
    (["--n-fake", "1"], "invalid n_fake=1"),
    (["--kid-subset-size", "1"], "invalid kid_subset_size=1"),
    (["--d-batch", "5000"], "invalid d_batch=5,000; accepted: at most the 1,797 real images"),
    (["--n-fake", "4000", "--kid-subset-size", "3000"], "invalid kid_subset_size=3,000"),
])
def test_4_train_values_only_the_data_can_refuse_are_refused_before_the_run_directory(results, args, fragment):
    refused(cmd("train", results, *args), results, fragment)


@pytest.mark.parametrize("args,fragment", [
    (["--strategy", "rl", "--proxy-samples", "1"], "invalid proxy_samples=1"),
    (["--strategy", "differentiable", "--search-batch", "1"], "invalid search_batch=1"),
    (["--strategy", "differentiable", "--search-batch", "4000"], "invalid search_batch=4,000; accepted: at most"),
])
def test_4_search_values_are_refused_before_the_run_directory(results, args, fragment):
    line = refused(cmd("run", results, *args, "--space", "autogan"), results, fragment)
    assert "splits" not in line  # a setting the user cannot set


@pytest.fixture(scope="module")
def tiny_cifar(tmp_path_factory):
    from ganas_bench.data.tiny_datasets import write_cifar10

    root = tmp_path_factory.mktemp("cifar")
    write_cifar10(root, np.random.default_rng(0).integers(0, 256, (40, 3, 32, 32), dtype=np.uint8))
    return root


CIFAR = ["--profile", "cifar10", "--device", "cpu", "--train-iters", "1", "--n-fake", "20", "--kid-subset-size", "10",
         "--g-batch", "4", "--d-batch", "4", "--gf-dim", "8", "--df-dim", "8"]


@pytest.mark.parametrize("weights", [b"not a weights file", b""])
def test_4_inception_weights_that_are_not_a_weights_file_are_refused_before_the_run_directory(results, tiny_cifar,
                                                                                                 tmp_path, weights):
    path = tmp_path / "w.pth"
    path.write_bytes(weights)
    refused(["train", *CIFAR, "--data-root", tiny_cifar, "--inception-weights", path,
             "--results-dir", results / "runs"], results, "Inception weights")


def test_4_inception_weights_of_the_wrong_shapes_are_refused_before_the_run_directory(results, tiny_cifar, tmp_path):
    state = untrained_inception_state_dict()
    state[next(iter(state))] = torch.zeros(1)
    torch.save(state, tmp_path / "w.pth")
    refused(["train", *CIFAR, "--data-root", tiny_cifar, "--inception-weights", tmp_path / "w.pth",
             "--results-dir", results / "runs"], results, "not an inception-v3-compat state dict")


def test_4_a_kid_subset_larger_than_the_real_images_is_refused_before_the_run_directory(results, tiny_cifar):
    args = [*CIFAR, "--n-fake", "100", "--kid-subset-size", "50"]
    refused(["train", *args, "--data-root", tiny_cifar, "--results-dir", results / "runs"], results,
            "invalid kid_subset_size=50; accepted: at most the 40 real images")


# ------------------------------------------------------------------------------------------ 5: every seed checked
def test_5_a_seed_out_of_range_is_refused_before_the_first_seed_runs(results):
    refused(cmd("train", results, "--seeds", "0,4294967296"), results, "invalid --seeds", "2**32-1")


def test_5_a_run_name_too_long_for_a_later_seed_is_refused_before_the_first_seed_runs(results):
    name = "n" * 122  # "-seed0" fits in 128 characters, "-seed10" does not
    refused(cmd("train", results, "--run-name", name, "--seeds", "0,10"), results, "invalid run name")


def fake_finished_run(folder, cfg, **run_fields):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(cfg.to_json())
    (folder / "run.json").write_text(json.dumps({"command": "train", "status": "finished", **run_fields}))
    (folder / "metrics.json").write_text(json.dumps({"fid": 1.0, "is_mean": 2.0, "kid_mean": 0.1}))


def test_5_a_later_seed_whose_run_already_finished_is_refused_before_the_first_seed_runs(results):
    from ganas_bench.config import make_config

    cfg = make_config(profile="smoke", overrides={"device": "cpu", "seed": 1, "results_dir": str(results / "runs")})
    fake_finished_run(results / "runs" / "r-seed1", cfg, genotype=GENOTYPE)
    refused(cmd("train", results, "--run-name", "r", "--seeds", "0,1"), results, "r-seed1", "has already finished")


def test_seeds_of_train_take_the_ranges_matrix_takes(results):
    refused(cmd("train", results, "--seeds", "3-1"), results, "invalid --seeds '3-1'")
    refused(cmd("train", results, "--seeds", "0-2,2"), results, "invalid --seeds")


# ------------------------------------------------------------------------------------------------ 6: sizes
@pytest.mark.parametrize("args,fragment", [
    (["--gf-dim", "1e20"], "'1e20' is not a valid integer"),
    (["--gf-dim", str(10**30)], "'gf_dim' wants an integer"),
    (["--latent-dim", str(2**40)], "invalid latent_dim"),
    (["--g-batch", str(10**12)], "invalid g_batch"),
    (["--image-size", "2048", "--bottom-width", "256"], "invalid image_size=2048"),
    (["--gf-dim", "8192", "--df-dim", "8192", "--g-batch", "8192", "--d-batch", "1024", "--image-size", "128",
      "--bottom-width", "16"], "needs at least"),
    (["--image-size", "1024", "--bottom-width", "128", "--latent-dim", "8192", "--gf-dim", "8192"], "needs at least"),
])
def test_6_sizes_that_cannot_fit_are_refused_naming_the_limit(results, args, fragment):
    line = refused(cmd("train", results, *args), results, fragment)
    if fragment == "needs at least":
        assert "GiB" in line and ("RAM" in line or "memory of cuda" in line)


def test_6_search_widths_that_cannot_fit_are_refused_too(results):
    refused(cmd("run", results, "--strategy", "rl", "--space", "autogan", "--search-gf-dim", "4294967296"), results,
            "invalid search_gf_dim")
    refused(cmd("run", results, "--strategy", "rl", "--space", "autogan", "--search-gf-dim", "8192", "--search-df-dim",
                "8192", "--g-batch", "8192", "--d-batch", "1024"), results, "at search widths", "needs at least")


def test_6_estimate_refuses_what_cannot_fit_before_building_it(results):
    refused(["estimate", "--gf-dim", "8192", "--df-dim", "8192", "--g-batch", "8192", "--d-batch", "1024",
             "--image-size", "128", "--bottom-width", "16", *SMOKE], results, "needs at least")


# ------------------------------------------------------------------------------------- 8, 13: numbers in config files
@pytest.mark.parametrize("name,text,fragment", [
    ("c.json", '{"stage_iters": [Infinity]}', "'stage_iters' wants"),
    ("c.json", '{"lr_g": Infinity}', "invalid lr_g=inf"),
    ("c.json", '{"lr_g": NaN}', "invalid lr_g=nan"),
    ("c.yaml", "stage_iters: [.inf]\n", "'stage_iters' wants"),
    ("c.yaml", "lr_g: .nan\n", "invalid lr_g=nan"),
    ("c.json", '{"lr_g": 1' + "0" * 400 + "}", "'lr_g' wants a number"),
    ("c.json", '{"lr_g": 1e400}', "invalid lr_g=inf"),
    ("c.json", '{"train_iters": 1' + "0" * 400 + "}", "'train_iters' wants an integer"),
    ("c.json", '{"stage_iters": [1, 2.5, 1]}', "'stage_iters' wants"),
    ("c.json", '{"stage_iters": [true, 1, 1]}', "'stage_iters' wants"),
    ("c.json", '{"stage_iters": {"1": 0, "2": 0, "3": 0}}', "'stage_iters' wants"),
    ("c.json", '{"stage_iters": ' + json.dumps([1] * 100) + "}", "invalid stage_iters"),
    ("c.json", '{"seed": "5"}', "'seed' wants an integer"),
    ("c.json", '{"seed": true}', "'seed' wants an integer"),
    ("c.json", '{"download": 1}', "'download' wants true or false"),
    ("c.yaml", "lr_g: '0.1'\n", "'lr_g' wants a number"),
    ("c.json", '{"seed": "' + "x" * 500_000 + '"}', "'seed' wants an integer"),
    ("c.json", '{"' + "k" * 100_000 + '": 1}', "unknown config field"),
])
def test_8_13_config_numbers_of_the_wrong_type_or_out_of_range_are_refused_never_coerced(results, tmp_path, name,
                                                                                        text, fragment):
    (tmp_path / name).write_text(text)
    refused(cmd("run", results, "--strategy", "rl", "--space", "autogan", "--config", tmp_path / name), results,
            fragment)


# ------------------------------------------------------------------------------------------ 9: paths that cannot be
@pytest.mark.parametrize("field", ["results_dir", "data_root", "inception_weights"])
@pytest.mark.parametrize("value,fragment", [("a\0b", "without NUL bytes"), ("x" * 300, "every part has at most 255"),
                                            ("a/" * 2100, "at most 4,096 bytes")])
def test_9_a_path_no_file_system_can_hold_is_refused_from_a_config_file(results, tmp_path, field, value, fragment):
    (tmp_path / "c.json").write_text(json.dumps({field: value}))
    refused(["train", *SMOKE, "--config", tmp_path / "c.json"], results, f"invalid {field}=", fragment)


@pytest.mark.parametrize("args", [["train", "--resume", "a\0b"], ["eval", "a\0b"], ["tables", "--runs-dir", "a\0b"],
                                  ["tables", "--out", "x" * 300], ["train", "--config", "a\0b"],
                                  ["repro", "--references", "a\0b"], ["train", "--results-dir", "a\0b", *SMOKE]])
def test_9_path_options_that_cannot_be_paths_are_refused(results, args):
    refused(args, results, "without NUL bytes" if "a\0b" in args else "255 bytes")


# ------------------------------------------------------------------------------- 3, 10: config files bounded
def alias_bomb(levels: int) -> str:
    """AutoGAN's 'billion laughs': each level is 9 aliases of the one below, all under `seed:`."""
    lines = ["seed:", '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"  a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [7, 9, 30])
def test_3_a_yaml_alias_bomb_is_refused_before_it_is_expanded(results, tmp_path, levels):
    (tmp_path / "bomb.yaml").write_text(alias_bomb(levels))
    assert (tmp_path / "bomb.yaml").stat().st_size < 2000
    refused(["train", *SMOKE, "--config", tmp_path / "bomb.yaml"], results, "aliases expanded")


@pytest.mark.parametrize("name,text", [("deep.json", "[" * 50 + "]" * 50), ("deep.yaml", "a: " + "[" * 50 + "]" * 50),
                                       ("deeper.json", "[" * 200_000), ("big.json", "{" + " " * (1 << 21) + "}")])
def test_3_10_deep_or_big_config_files_are_refused_before_they_are_parsed(results, tmp_path, name, text):
    (tmp_path / name).write_text(text)
    refused(["train", *SMOKE, "--config", tmp_path / name], results, "config file")


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "folder", "fifo"])
def test_10_a_config_that_is_not_a_regular_file_is_refused_without_reading_it(results, tmp_path, special):
    path = special if special.startswith("/") else tmp_path / special
    if special == "folder":
        path.mkdir()
    elif special == "fifo":
        os.mkfifo(path)
    refused(["train", *SMOKE, "--config", path], results, "not a regular file")


def test_10_reading_dev_zero_as_a_config_costs_no_memory(results):
    """A fresh process under an 8 GiB address-space limit (torch's libraries alone map a few GiB of it)."""
    from cli_contract import refused_in_subprocess

    refused_in_subprocess(["train", "--config", "/dev/zero", *SMOKE, "--results-dir", results / "runs"], results,
                          "not a regular file", memory_limit=8 << 30)


# ------------------------------------------------------------------------------------- 11, 12: files that are not text
def test_11_a_genotype_file_that_is_not_utf8_is_refused(results, tmp_path):
    (tmp_path / "g.json").write_bytes(b"\xff\xfe{\x00}")
    refused(cmd("train", results, "--arch", tmp_path / "g.json"), results, "not UTF-8")


def test_11_a_config_file_that_is_not_utf8_is_refused(results, tmp_path):
    (tmp_path / "c.yaml").write_bytes(b"seed: \xff\xfe")
    refused(["train", *SMOKE, "--config", tmp_path / "c.yaml"], results, "not UTF-8")


def test_12_a_huge_genotype_is_never_echoed_whole(results, tmp_path):
    big = {"space": "autogan", "choices": [0] * 3_000_000}
    (tmp_path / "g.json").write_text(json.dumps(big))
    refused(cmd("train", results, "--arch", tmp_path / "g.json"), results, "at most 1,048,576 bytes")
    refused(cmd("train", results, "--arch", json.dumps({**big, "choices": [0] * 200_000})), results, "choices")
    refused(cmd("train", results, "--arch", json.dumps({"space": "s" * 1_000_000, "choices": [0]})), results,
            "unknown search space")


# ------------------------------------------------------------------------------------- 16: click's and YAML's errors
@pytest.mark.parametrize("args,fragment", [
    (["train", "--n-fake", "abc"], "'abc' is not a valid integer"),
    (["train", "--nope"], "No such option"),
    (["train", "--profile", "huge"], "'huge' is not one of"),
    (["eval"], "Missing argument"),
    (["frobnicate"], "No such command"),
    (["run", "--strategy", "rl", "--space", "autogan", "--mlas-k", "x"], "not a valid integer"),
])
def test_16_clicks_own_errors_are_one_line_that_points_at_help(results, args, fragment):
    line = refused(args, results, fragment)
    assert "--help" in line


@pytest.mark.parametrize("text", ["a: [1,\n  b: }\n", "a:\n\t- b\n", "seed: !!python/object:os.system 'true'\n",
                                  "seed: [1\n"])
def test_16_a_yaml_error_is_one_line_with_where_it_is(results, tmp_path, text):
    (tmp_path / "c.yaml").write_text(text)
    refused(["train", *SMOKE, "--config", tmp_path / "c.yaml"], results, "not valid yaml")


# ----------------------------------------------------------------------------------------------------- siblings
@pytest.mark.parametrize("args,fragment", [
    (["estimate", "--sustained-tflops", "inf"], "invalid --sustained-tflops inf"),
    (["estimate", "--sustained-tflops", "nan"], "invalid --sustained-tflops nan"),
    (["estimate", "--sustained-tflops", "0"], "invalid --sustained-tflops"),
    (["study", "proxy", "--space", "autogan", "--n", "2"], "invalid --n 2"),
    (["study", "proxy", "--space", "autogan", "--n", str(10**9)], "invalid --n"),
    (["study", "proxy", "--space", "autogan", "--train-seeds", "0"], "invalid --train-seeds 0"),
    (["study", "proxy", "--space", "autogan", "--study-train-iters", str(10**12)], "invalid --study-train-iters"),
    (["study", "proxy", "--space", "autogan", "--gf-dim", "8192", "--g-batch", "8192", "--image-size", "128",
      "--bottom-width", "16"], "needs at least"),
])
def test_sibling_options_of_other_commands_are_refused(results, args, fragment):
    extra = {"estimate": SMOKE, "study": [*SMOKE, "--out", results / "studies"]}[args[0]]
    refused(args + extra, results, fragment)


def test_unknown_config_field_suggests_the_close_one_in_one_short_line(results, tmp_path):
    (tmp_path / "c.json").write_text('{"train_iter": 5}')
    refused(["train", *SMOKE, "--config", tmp_path / "c.json"], results, "did you mean 'train_iters'")


def test_missing_dataset_offline_says_what_to_fetch(results, tmp_path):
    refused(["train", "--profile", "cifar10", "--device", "cpu", "--data-root", tmp_path / "d",
             "--results-dir", results / "runs"], results, "CIFAR-10 not found", "--download")


def test_the_contract_helper_sees_a_new_file_and_a_changed_one(tmp_path):
    """Guards the helper: a tree that changed is a tree that changed."""
    before = tree_state(tmp_path)
    (tmp_path / "new").write_text("x")
    after = tree_state(tmp_path)
    assert before != after
    (tmp_path / "new").write_text("y")
    assert tree_state(tmp_path) != after
    os.symlink("/etc/hostname", tmp_path / "link")
    assert tree_state(tmp_path)["link"] == ("link", "/etc/hostname")


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


# ---------------------------------------------------------------------- siblings in matrix, tables and repro (3, 5, 10)
MATRIX = ["matrix", *SMOKE, "--seeds", "0", "--strategies", "random,differentiable", "--spaces", "autogan"]


def test_5_a_matrix_checks_every_pairs_batch_sizes_against_the_data_before_its_first_run(results):
    """differentiable's search batch is over the 1,797 digits: refused before random's run (planned first) starts."""
    refused([*MATRIX, "--search-batch", "5000", "--results-dir", results / "runs"], results,
            "invalid search_batch=5,000")


def test_2_5_a_matrix_checks_every_unfinished_runs_files_before_its_first_run(results):
    """An unfinished differentiable run of this matrix with a damaged checkpoint: refused before random's run starts
    (without the check up front, random's run would be written first)."""
    from ganas_bench.config import make_config
    from ganas_bench.matrix import plan

    cfg = make_config(profile="smoke", strategy="differentiable",
                      overrides={"device": "cpu", "results_dir": str(results / "runs")})
    task = plan({"differentiable": cfg}, ["autogan"], [0])[0]
    task.path.mkdir()
    (task.path / "config.json").write_text(json.dumps(task.config))
    (task.path / "run.json").write_text(json.dumps({"command": "run", "strategy": "differentiable", "space": "autogan",
                                                    "search_only": False, "status": "failed"}))
    (task.path / "checkpoint.pt").write_bytes(b"half a checkpoint")
    refused([*MATRIX, "--results-dir", results / "runs"], results, task.run_name, "checkpoint.pt")


@pytest.mark.parametrize("special,fragment", [("/dev/zero", "not a regular file"), ("fifo", "not a regular file"),
                                              ("big.csv", "bytes; accepted: at most 8,388,608")])
def test_10_published_numbers_are_read_only_from_a_bounded_regular_file(results, tmp_path, special, fragment):
    path = special if special.startswith("/") else tmp_path / special
    if special == "fifo":
        os.mkfifo(path)
    elif special == "big.csv":
        path.write_bytes(b"method\n" + b"x\n" * (5 << 20))
    refused(["tables", "--runs-dir", results / "runs", "--published", path, "--out", results / "tables"], results,
            "published numbers file", fragment)


REFERENCE = Path(__file__).resolve().parents[1] / "results" / "reference" / "differentiable-autogan.json"


@pytest.mark.parametrize("record,fragment", [
    ([1, 2], "holds no JSON object"),
    ({}, "names the pair (None, None)"),
    ({"strategy": "rl", "space": "nope"}, "names the pair ('rl', 'nope')"),
    ({"strategy": "rl", "space": "autogan"}, "lacks a config_hash"),
    ("metrics", "lacks a config_hash"),
    ("seed_group", "has a seed_group without"),
])
def test_repro_checks_every_reference_before_running_any(results, record, fragment):
    """A valid reference sorted first and a damaged one after it: refused before the first pair runs."""
    folder = results / "reference"
    folder.mkdir()
    (folder / REFERENCE.name).write_bytes(REFERENCE.read_bytes())
    if record == "metrics":  # a real record whose metrics are text
        record = json.loads(REFERENCE.read_text())
        record["metrics"]["fid"] = "low"
    elif record == "seed_group":  # a real record whose seed group lacks a metric
        record = {**json.loads(REFERENCE.read_text()), "seed_group": {"seeds": [0, 1], "metrics": {"fid": [1.0, 2.0]}}}
    (folder / "zz.json").write_text(json.dumps(record))
    refused(["repro", "--references", folder], results, "zz.json", fragment)


def test_study_tables_without_a_study_or_with_a_damaged_one_is_one_line(results):
    refused(["study", "tables", "--out", results / "runs"], results, "no study.json in any folder of")
    refused(["study", "tables", "--out", results / "absent"], results, "does not exist")
    (results / "runs" / "s").mkdir()
    (results / "runs" / "s" / "study.json").write_text('{"space": "autogan"}')
    refused(["study", "tables", "--out", results / "runs"], results, "is not a proxy study's study.json")
    (results / "runs" / "s" / "study.json").write_text('{"space": ')
    refused(["study", "tables", "--out", results / "runs"], results, "is not readable JSON")
