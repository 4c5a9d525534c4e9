"""The reference check: bit for bit on the machine the references were made on, a measured tolerance elsewhere,
genotypes exactly everywhere, and it names what drifted."""
import copy
import json

import pytest

from ganas_bench.repro import (
    KERNEL_ENV, METRIC_FIELDS, OFF_MACHINE_RTOL, compare, comparison_note, pairs, platform_differences, platform_key,
)

HERE = platform_key()
REFERENCE = {
    "config_hash": "abc", "genotype": {"space": "autogan", "choices": [1, 0, 1]},
    "metrics": {"is_mean": 2.5, "is_std": 0.2, "fid": 1000.0, "kid_mean": 900.0, "kid_std": 70.0},
    "platform": HERE,
}


def actual(platform=None, **metric_changes):
    record = copy.deepcopy(REFERENCE)
    record["metrics"].update(metric_changes)
    if platform is not None:
        record["platform"] = platform
    return record


OTHER_CPU = dict(HERE, cpu_model="Intel(R) Xeon(R) Platinum 8488C", cpu_flags=["avx2", "avx512f"])


def test_identical_result_passes():
    assert compare(REFERENCE, actual()) == []


def test_any_metric_change_fails_on_the_reference_machine_and_names_the_field():
    problems = compare(REFERENCE, actual(fid=1000.0000001))
    assert len(problems) == 1 and "fid drifted on the reference machine" in problems[0]


@pytest.mark.parametrize("name", ["is_mean", "fid", "kid_mean", "kid_std"])
def test_off_machine_metrics_pass_within_their_tolerance_and_fail_beyond_it(name):
    value = REFERENCE["metrics"][name]
    assert compare(REFERENCE, actual(OTHER_CPU, **{name: value * (1 + OFF_MACHINE_RTOL[name] / 2)})) == []
    problems = compare(REFERENCE, actual(OTHER_CPU, **{name: value * (1 - 2 * OFF_MACHINE_RTOL[name])}))
    assert len(problems) == 1 and problems[0].startswith(f"{name} drifted beyond the off-machine tolerance")


def test_is_spread_drift_is_measured_on_the_scale_of_is_itself():
    """A collapsed generator's IS spread is ~1e-5: tripling it is noise, not drift; moving it by a share of IS is."""
    collapsed = copy.deepcopy(REFERENCE)
    collapsed["metrics"].update(is_mean=1.00002, is_std=1e-5)
    moved = copy.deepcopy(collapsed)
    moved["platform"] = OTHER_CPU
    moved["metrics"]["is_std"] = 3e-5
    assert compare(collapsed, moved) == []
    moved["metrics"]["is_std"] = 1e-5 + 2 * OFF_MACHINE_RTOL["is_std"] * 1.00002
    (problem,) = compare(collapsed, moved)
    assert problem.startswith("is_std drifted beyond") and "of is_mean" in problem


def test_a_different_genotype_fails_everywhere():
    for platform in (HERE, OTHER_CPU):
        record = actual(platform)
        record["genotype"]["choices"] = [1, 0, 0]
        assert any(p.startswith("genotype drifted: [1, 0, 1] -> [1, 0, 0]") for p in compare(REFERENCE, record))


@pytest.mark.parametrize("field, value", [
    ("cpu_model", "AMD EPYC 9R14"), ("cpu_id", "GenuineIntel / 6 / 143 / 8"), ("cpu_caches", "L1d 48K, L2 2048K"),
    ("cpu_flags", ["avx", "avx2", "avx512f"]), ("cpu_threads", 8), ("torch", "2.15.0"),
    ("kernel_env", {"ONEDNN_MAX_CPU_ISA": "AVX2"}),
])
def test_any_kernel_deciding_field_makes_it_another_machine(field, value):
    other = dict(HERE, **{field: value})
    assert platform_differences(REFERENCE, actual(other)) == [field]
    assert compare(REFERENCE, actual(other, fid=1000.0000001)) == []  # compared within the tolerance


def test_a_reference_of_an_older_format_is_compared_within_the_tolerance():
    old = copy.deepcopy(REFERENCE)
    old["platform"] = {k: HERE[k] for k in ("torch", "machine", "cpu_capability", "cpu_threads")}
    assert compare(old, actual(fid=1000.0000001)) == []
    assert "cpu_model" in platform_differences(old, actual())


def test_kernel_environment_variables_are_part_of_the_key(monkeypatch):
    for name in KERNEL_ENV:
        monkeypatch.delenv(name, raising=False)
    assert platform_key()["kernel_env"] == {}
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert platform_key()["kernel_env"] == {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def test_the_key_names_the_cpu_and_is_json():
    key = platform_key()
    assert set(key) == {"torch", "machine", "cpu_model", "cpu_id", "cpu_caches", "cpu_flags", "cpu_capability",
                        "cpu_threads", "kernel_env"}
    assert json.loads(json.dumps(key)) == key and key["cpu_model"]


def test_the_note_says_how_metrics_were_compared(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(REFERENCE))
    assert "bit for bit" in comparison_note(tmp_path)
    (tmp_path / "a.json").write_text(json.dumps(actual(OTHER_CPU)))
    assert comparison_note(tmp_path).endswith("in cpu_flags, cpu_model); genotypes exactly")


def test_every_strategy_meets_every_space_with_the_capability():
    assert set(pairs()) == {(s, p) for s in ("rl", "random", "differentiable") for p in ("autogan", "adversarialnas")}
    assert set(METRIC_FIELDS) == set(OFF_MACHINE_RTOL)
