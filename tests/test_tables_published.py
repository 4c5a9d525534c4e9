"""results/published.csv: what the reference sheet says, with its doubts, per field, and nothing more."""
from __future__ import annotations

from pathlib import Path

import pytest

from ganas_bench.errors import UserError
from ganas_bench.published import (COLUMNS, NOT_STATED, confirmed_fields, is_confirmed, load_published,
                                   reproduced_claim)

PUBLISHED = Path(__file__).resolve().parents[1] / "results" / "published.csv"
NAS = ("AutoGAN (top-1)", "AdversarialNAS", "E2GAN", "DEGAS", "EAGAN", "alphaGAN (large)", "AGAN")
PROTOCOL = ("n_fake", "n_real", "reference_split", "backbone")


@pytest.fixture(scope="module")
def published():
    return load_published(PUBLISHED)


@pytest.fixture(scope="module")
def row(published):
    return published.set_index(["method", "dataset"])


def test_every_searched_method_has_a_cifar10_and_an_stl10_row(published):
    nas = published[published["kind"] == "nas"]
    assert sorted(nas["method"].unique()) == sorted(NAS)
    assert all(sorted(g["dataset"]) == ["cifar10", "stl10"] for _, g in nas.groupby("method"))


def test_sheet_numbers_are_carried_as_printed(row):
    assert row.loc[("AutoGAN (top-1)", "cifar10"), ["is_mean", "is_std", "fid"]].tolist() == ["8.55", "0.10", "12.42"]
    assert row.loc[("EAGAN", "stl10"), "is_std"] == "0.087"
    assert row.loc[("DEGAS", "cifar10"), "is_std"] == ""  # the sheet gives none: nothing invented
    assert row.loc[("E2GAN", "cifar10"), ["search_cost", "search_cost_unit"]].tolist() == ["7", "GPU-hours"]


def test_eagan_cifar10_and_its_cost_are_confirmed_by_its_arxiv_abstract_its_stl10_is_not(row):
    c10, stl = row.loc[("EAGAN", "cifar10")], row.loc[("EAGAN", "stl10")]
    assert c10["source"] == "arXiv:2111.15097"
    assert confirmed_fields(c10) == {"is_mean", "is_std", "fid", "search_cost"}
    assert confirmed_fields(stl) == set() and stl["status"].startswith("unverified")


def test_rows_without_a_source_at_hand_confirm_nothing(row):
    for method in ("E2GAN", "DEGAS", "alphaGAN (large)", "AGAN"):
        for dataset in ("cifar10", "stl10"):
            r = row.loc[(method, dataset)]
            assert (r["source"], r["confirmed"]) == ("", ""), (method, dataset)
            assert r["status"].startswith("unverified")


def test_autogan_scores_are_confirmed_but_not_its_search_cost(row):
    autogan = row.loc[("AutoGAN (top-1)", "cifar10")]
    assert is_confirmed(autogan, "fid", "is_mean", "is_std", *PROTOCOL)
    assert not is_confirmed(autogan, "search_cost") and "search cost unverified" in autogan["status"]
    adversarialnas = row.loc[("AdversarialNAS", "cifar10")]
    assert is_confirmed(adversarialnas, "fid", "is_mean") and not is_confirmed(adversarialnas, "is_std")


def test_protocol_of_other_rows_is_not_stated_never_assumed(published):
    others = published[~published["method"].isin(["AutoGAN (top-1)", "AdversarialNAS"])]
    for column in PROTOCOL:
        assert set(others[column]) == {NOT_STATED}, column


def test_sngan_status_and_sample_counts_agree(row):
    sngan = row.loc[("SN-GAN", "cifar10")]
    assert "protocol not stated" in sngan["status"]
    assert (sngan["n_fake"], sngan["n_real"]) == (NOT_STATED, NOT_STATED)
    assert "10k real / 5k generated" in sngan["notes"] and "not confirmed" in sngan["notes"]


def test_reproductions_match_by_search_pair_or_named_architecture(published):
    assert reproduced_claim(published, "cifar10", "autogan", "rl", "")["method"] == "AutoGAN (top-1)"
    assert reproduced_claim(published, "stl10", "autogan", "", "autogan_cifar10_a")["method"] == "AutoGAN (top-1)"
    assert reproduced_claim(published, "cifar10", "adversarialnas", "differentiable", "")["method"] == "AdversarialNAS"
    assert reproduced_claim(published, "cifar10", "autogan", "random", "") is None
    assert reproduced_claim(published, "cifar10", "autogan", "", "sngan_resnet")["method"] == "SN-GAN"
    assert reproduced_claim(published, "digits", "autogan", "rl", "") is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.csv"
    path.write_text(text)
    return path


def _edit_eagan_cifar10(tmp_path: Path, old: str, new: str) -> Path:
    lines = PUBLISHED.read_text().splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if line.startswith("EAGAN,") and ",cifar10," in line)
    assert old in lines[i]
    lines[i] = lines[i].replace(old, new, 1)
    return _write(tmp_path, "".join(lines))


def test_bad_dataset_is_refused_naming_the_value(tmp_path):
    header = ",".join(COLUMNS)
    row = ["X", "nas", "", "", "", "", "", "imagenet"] + [""] * (len(COLUMNS) - 8)
    with pytest.raises(UserError, match="'imagenet'.*cifar10, stl10"):
        load_published(_write(tmp_path, header + "\n" + ",".join(row) + "\n"))


def test_gpu_days_must_match_the_stated_cost(tmp_path):
    text = PUBLISHED.read_text().replace(",43,GPU-hours,1.7917,", ",43,GPU-hours,43,", 1)
    with pytest.raises(UserError, match="search_cost_gpu_days '43'"):
        load_published(_write(tmp_path, text))


def test_a_confirmed_field_needs_a_source_and_a_value(tmp_path):
    with pytest.raises(UserError, match="names no source"):
        load_published(_edit_eagan_cifar10(tmp_path, "arXiv:2111.15097,", ","))
    with pytest.raises(UserError, match="confirmed field 'n_fake' holds no value"):
        load_published(_edit_eagan_cifar10(tmp_path, "is_mean;is_std;fid;search_cost", "fid;n_fake"))
    with pytest.raises(UserError, match="confirmed field 'flops'; accepted"):
        load_published(_edit_eagan_cifar10(tmp_path, "is_mean;is_std;fid;search_cost", "fid;flops"))


def test_a_source_is_an_arxiv_id_or_a_url(tmp_path):
    with pytest.raises(UserError, match="source 'the abstract'; accepted: arXiv ids"):
        load_published(_edit_eagan_cifar10(tmp_path, "arXiv:2111.15097,", "the abstract,"))


def test_not_stated_is_only_for_protocol_columns(tmp_path):
    with pytest.raises(UserError, match="fid 'not stated'; accepted there: a number or empty"):
        load_published(_edit_eagan_cifar10(tmp_path, ",9.91,", ",not stated,"))


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_published(tmp_path / "nope.csv")
