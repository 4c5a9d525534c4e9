"""results/published.csv: what the reference sheet says, with its doubts, and nothing more."""
from __future__ import annotations

from pathlib import Path

import pytest

from ganas_bench.errors import UserError
from ganas_bench.published import COLUMNS, load_published, reproduced_claim

PUBLISHED = Path(__file__).resolve().parents[1] / "results" / "published.csv"
NAS = ("AutoGAN (top-1)", "AdversarialNAS", "E2GAN", "DEGAS", "EAGAN", "alphaGAN (large)", "AGAN")


@pytest.fixture(scope="module")
def published():
    return load_published(PUBLISHED)


def test_every_searched_method_has_a_cifar10_and_an_stl10_row(published):
    nas = published[published["kind"] == "nas"]
    assert sorted(nas["method"].unique()) == sorted(NAS)
    assert all(sorted(g["dataset"]) == ["cifar10", "stl10"] for _, g in nas.groupby("method"))


def test_sheet_numbers_and_flags_are_carried_as_printed(published):
    row = published.set_index(["method", "dataset"])
    assert row.loc[("AutoGAN (top-1)", "cifar10"), ["is_mean", "is_std", "fid"]].tolist() == ["8.55", "0.10", "12.42"]
    assert row.loc[("EAGAN", "stl10"), "is_std"] == "0.087"
    assert row.loc[("alphaGAN (large)", "cifar10"), "status"] == "unverified"
    assert row.loc[("AGAN", "stl10"), "status"] == "unverified"
    assert row.loc[("E2GAN", "cifar10"), "status"] == "means verified, std unverified"
    assert row.loc[("DEGAS", "cifar10"), "status"] == "cost unverified"
    assert row.loc[("DEGAS", "cifar10"), "is_std"] == ""  # the sheet gives none: nothing invented
    assert row.loc[("E2GAN", "cifar10"), ["search_cost", "search_cost_unit"]].tolist() == ["7", "GPU-hours"]
    assert row.loc[("AutoGAN (top-1)", "stl10"), "backbone"] == "tf-inception"


def test_sngan_fid_carries_its_10k_5k_protocol(published):
    sngan = published.set_index(["method", "dataset"]).loc[("SN-GAN", "cifar10")]
    assert (sngan["fid"], sngan["n_fake"], sngan["n_real"]) == ("21.7", "5000", "10000")
    assert "about 15" in sngan["notes"]


def test_baselines_leave_unstated_protocol_empty(published):
    base = published[(published["kind"] == "hand-crafted") & (published["method"] != "SN-GAN")]
    assert len(base) > 10
    assert set(base["n_fake"]) == {""} and set(base["backbone"]) == {""} and set(base["search_cost"]) == {""}


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


def test_bad_dataset_is_refused_naming_the_value(tmp_path):
    header = ",".join(COLUMNS)
    row = ["X", "nas", "", "", "", "", "", "imagenet"] + [""] * (len(COLUMNS) - 8)
    with pytest.raises(UserError, match="'imagenet'.*cifar10, stl10"):
        load_published(_write(tmp_path, header + "\n" + ",".join(row) + "\n"))


def test_gpu_days_must_match_the_stated_cost(tmp_path):
    text = PUBLISHED.read_text().replace(",43,GPU-hours,1.7917,", ",43,GPU-hours,43,", 1)
    with pytest.raises(UserError, match="search_cost_gpu_days '43'"):
        load_published(_write(tmp_path, text))


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_published(tmp_path / "nope.csv")
