"""The reference check: exact on the reference platform, a stated tolerance elsewhere, and it names what drifted."""
import copy

from ganas_bench.repro import OFF_PLATFORM_RTOL, compare, pairs, platform_key

REFERENCE = {
    "config_hash": "abc", "genotype": {"space": "autogan", "choices": [1, 0, 1]},
    "metrics": {"is_mean": 2.5, "is_std": 0.2, "fid": 1000.0, "kid_mean": 900.0, "kid_std": 70.0},
    "platform": {"torch": "2.14.1", "machine": "x86_64", "cpu_threads": 2, "cpu_capability": "AVX512"},
}


def changed(**metric_changes):
    actual = copy.deepcopy(REFERENCE)
    actual["metrics"].update(metric_changes)
    return actual


def test_identical_result_passes():
    assert compare(REFERENCE, copy.deepcopy(REFERENCE)) == []


def test_any_metric_change_fails_on_the_reference_platform_and_names_the_field():
    problems = compare(REFERENCE, changed(fid=1000.0000001))
    assert len(problems) == 1 and "fid drifted on the reference platform" in problems[0]


def test_off_platform_metrics_pass_within_the_tolerance_and_fail_beyond_it():
    off = changed(fid=1000.0 * (1 + OFF_PLATFORM_RTOL / 2))
    off["platform"] = dict(REFERENCE["platform"], cpu_capability="AVX2")
    assert compare(REFERENCE, off) == []
    off["metrics"]["is_mean"] = 2.5 * (1 + 10 * OFF_PLATFORM_RTOL)
    problems = compare(REFERENCE, off)
    assert len(problems) == 1 and problems[0].startswith("is_mean drifted beyond rtol")


def test_a_different_genotype_fails_everywhere():
    actual = copy.deepcopy(REFERENCE)
    actual["genotype"]["choices"] = [1, 0, 0]
    actual["platform"] = dict(REFERENCE["platform"], machine="aarch64")
    assert any(p.startswith("genotype drifted: [1, 0, 1] -> [1, 0, 0]") for p in compare(REFERENCE, actual))


def test_every_strategy_meets_every_space_with_the_capability():
    assert set(pairs()) == {(s, p) for s in ("rl", "random", "differentiable") for p in ("autogan", "adversarialnas")}
    assert set(platform_key()) == {"torch", "machine", "cpu_threads", "cpu_capability"}
