"""The committed proxy studies (results/studies) behind the README's proxy table.

As for the matrix (test_matrix_committed.py): each committed study is the one `make study` plans with today's tiny
profile (so `make study` skips it), its study.json is what its committed run records give, and the README's proxy
table is exactly what `ganas-bench study tables` makes of the committed studies. Nothing here trains; it reads
committed JSON, so it does not depend on this machine's floats. "Committed" is what git tracks when this is a git
checkout: a study running in the same tree does not turn `make test` red.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from ganas_bench.config import make_config
from ganas_bench.proxy_study import analyse, study_name
from ganas_bench.runs.status import read_metrics
from ganas_bench.tables.proxy_table import STUDY_FILE, load_studies, readme_text
from git_tracked import tracked

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "results" / "studies"
MAKE_STUDY = {"n": 24, "train_iters": 300, "train_seeds": 2}  # the Makefile's `study` target (CLI defaults)


def committed_studies() -> list[str]:
    """The study folders with a git-tracked study.json (every such folder outside a git checkout)."""
    relative = tracked(ROOT, STUDIES)
    if relative is None:
        return sorted(p.parent.name for p in STUDIES.glob(f"*/{STUDY_FILE}"))
    return sorted(r.parts[0] for r in relative if len(r.parts) == 2 and r.parts[1] == STUDY_FILE)


@pytest.fixture
def committed(tmp_path) -> Path:
    """A copy of the committed studies' records (no weights, no locks)."""
    out = tmp_path / "studies"
    out.mkdir()
    for name in committed_studies():
        shutil.copytree(STUDIES / name, out / name, ignore=shutil.ignore_patterns("checkpoint.pt*", ".lock"))
    return out


def readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- proxy:begin -->\n(.*?)<!-- proxy:end -->", text, flags=re.S)
    assert found, "README.md lost its <!-- proxy:begin --> / <!-- proxy:end --> markers"
    return found.group(1)


def test_the_readme_proxy_table_is_what_study_tables_makes_of_the_committed_studies(committed):
    made = readme_text(load_studies(committed), "tiny")
    assert readme_section().strip() == made.strip(), \
        "README's proxy table is stale: run `make study-tables` and paste results/studies/readme_tiny.md"


@pytest.mark.parametrize("name", committed_studies())
def test_a_committed_study_is_one_make_study_plans_and_its_numbers_are_its_records(committed, name):
    folder = committed / name
    study = json.loads((folder / STUDY_FILE).read_text())
    cfg = make_config(profile="tiny", strategy="random")
    assert name == study_name(cfg, study["space"], MAKE_STUDY["n"], MAKE_STUDY["train_iters"],
                              MAKE_STUDY["train_seeds"]), "not a study of today's tiny profile: re-run `make study`"
    ranked = json.loads((folder / "search" / "proxy" / "search.json").read_text())["ranked"]
    assert [a["genotype"] for a in study["architectures"]] == [c["genotype"] for c in ranked]
    fids = []
    for i in range(len(ranked)):
        row = []
        for t in range(study["train_seeds"]):
            metrics = read_metrics(folder / "train" / f"a{i:02d}-t{t}")
            assert metrics is not None or study["architectures"][i]["diverged"][t], f"a{i:02d}-t{t} unfinished"
            row.append(metrics["fid"] if metrics is not None else np.inf)
        fids.append(row)
    recomputed = flat(analyse([c["score"] for c in ranked], np.array(fids)))
    assert flat({k: study[k] for k in analyse_keys(recomputed)}) == pytest.approx(recomputed, nan_ok=True)


def flat(tree, prefix="") -> dict:
    """{"kendall_tau.ci95.0": -0.1, ...}: nested statistics as one level, for pytest.approx."""
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in flat(sub, f"{prefix}{key}.").items()}
    if isinstance(tree, list):
        return {k: v for i, sub in enumerate(tree) for k, v in flat(sub, f"{prefix}{i}.").items()}
    return {prefix.rstrip("."): tree}


def analyse_keys(flattened: dict) -> set[str]:
    return {k.split(".")[0] for k in flattened}
