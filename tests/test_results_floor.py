"""The digits FID floor: measured by package code, committed for every digits profile's protocol, kept current."""
from __future__ import annotations

import json

import pytest

from ganas_bench.config import profile_defaults
from ganas_bench.results.floor import FLOOR_FILE, digits_protocols, floor_for, floor_text, measure_floor
from ganas_bench.results.protocol import profile_protocol


def test_committed_floor_covers_each_digits_profile_at_its_own_protocol():
    for profile in ("tiny", "smoke"):
        floor = floor_for(profile_protocol(profile))
        assert floor is not None, profile
        cfg = profile_defaults(profile)
        assert (floor["n_fake"], floor["image_size"], floor["n_real"]) == (cfg.n_fake, cfg.image_size, 1797)
        fid = floor["fid"]
        assert len(fid["values"]) == floor["draws"] >= 5
        assert 0 < fid["min"] <= fid["mean"] <= fid["max"] and fid["sd"] > 0


def test_committed_floor_was_measured_with_the_shipped_classifier_weights():
    assert [floor_for(profile_protocol(p))["stale"] for p in ("tiny", "smoke")] == [False, False]


def test_every_digits_profile_is_in_the_committed_file():
    committed = json.loads(FLOOR_FILE.read_text())["floors"]
    assert sorted(f["profile"] for f in committed) == sorted(p["profile"] for p in digits_protocols())


def test_no_floor_for_a_protocol_that_was_not_measured():
    assert floor_for({"n_fake": 777, "image_size": 16, "backbone": "digits-classifier"}) is None
    assert floor_for(profile_protocol("cifar10")) is None
    assert "not measured at this protocol" in floor_text(None)


@pytest.mark.parametrize("n_fake", [64])
def test_measurement_is_seeded_per_draw(n_fake):
    two = measure_floor(n_fake, image_size=16, kid_subset_size=32, draws=2, seed=0)
    second_alone = measure_floor(n_fake, image_size=16, kid_subset_size=32, draws=1, seed=1)
    assert second_alone["fid"]["values"] == [two["fid"]["values"][1]]
    assert two["fid"]["values"][0] != two["fid"]["values"][1]
    assert all(v > 0 for v in two["fid"]["values"]) and two["n_real"] == 1797
