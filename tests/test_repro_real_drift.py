"""A changed algorithm fails the reference check even where metrics are only compared within the off-machine tolerance:
the tolerance covers kernel drift, not a change in what is computed."""
from pathlib import Path

import pytest

import ganas_bench.training.trainer as trainer
from ganas_bench.repro import compare, run_pair
from ganas_bench.runs.rundir import read_json

REFERENCES = Path(__file__).resolve().parents[1] / "results" / "reference"


@pytest.mark.slow
def test_a_one_line_change_in_training_fails_the_off_machine_comparison(tmp_path, monkeypatch):
    """Adam's beta2 0.9 -> 0.99 in the shared GAN step (one line of training/trainer.py), on differentiable x autogan.
    Measured on an AMD EPYC (2026-12-02): the genotype stays, IS moves by 2.5%, FID by 2.4%, KID by 1.2%, two to three
    times their tolerances, while a change of machine moved no metric by more than 0.21%."""
    make_adam = trainer.make_adam

    def make_adam_beta2_099(params, lr, beta1, beta2, weight_decay=0.0):
        return make_adam(params, lr, beta1, 0.99, weight_decay)

    monkeypatch.setattr(trainer, "make_adam", make_adam_beta2_099)
    reference = read_json(REFERENCES / "differentiable-autogan.json")
    actual = run_pair("differentiable", "autogan", tmp_path)
    actual["platform"] = dict(actual["platform"], cpu_model="a CPU the reference was not made on")
    problems = compare(reference, actual)
    beyond = {p.split()[0] for p in problems if " drifted beyond the off-machine tolerance " in p}
    assert {"is_mean", "fid"} <= beyond, problems
