"""Property tests: whatever a user or a damaged file hands the harness (genotypes, config values, bytes where JSON or
a checkpoint should be), the answer is a value or a `UserError`, never another exception."""
import io
import json

import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ganas_bench.checkpoint import capture_rng, load_checkpoint
from ganas_bench.config import FIELD_NAMES, PROFILES, Config, load_config_file, make_config
from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype
from ganas_bench.registry import SPACES
from ganas_bench.runs.rundir import RunDir, read_json

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_like = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
space_names = st.sampled_from(SPACES.names()) | st.text(max_size=12)


@st.composite
def near_genotypes(draw):
    """Mostly the right shape for a real space, with lengths, values and types a little off."""
    name = draw(st.sampled_from(SPACES.names()))
    n = len(SPACES.get(name)().decisions())
    choice = st.integers(min_value=-2, max_value=9) | st.booleans() | st.floats() | st.text(max_size=2) | st.none()
    return {"space": name, "choices": draw(st.lists(choice, min_size=max(0, n - 1), max_size=n + 1))}


genotype_dicts = near_genotypes() | st.fixed_dictionaries({"space": space_names, "choices": json_like}) | json_like


def validated(data):
    """`data` as a genotype valid in its space, or a UserError."""
    genotype = Genotype.from_dict(data)
    return SPACES.get(genotype.space)().validate(genotype)


@SETTINGS
@given(data=genotype_dicts)
def test_any_genotype_dict_is_a_valid_genotype_or_a_user_error(data):
    try:
        genotype = validated(data)
    except UserError:
        return
    assert Genotype.from_json(genotype.to_json()) == genotype


@SETTINGS
@given(text=st.text(max_size=60) | genotype_dicts.map(json.dumps))
def test_any_genotype_json_is_a_genotype_or_a_user_error(text):
    try:
        genotype = Genotype.from_json(text)
    except UserError:
        return
    assert isinstance(genotype, Genotype)


def test_deeply_nested_genotype_json_is_a_user_error():
    with pytest.raises(UserError):
        Genotype.from_json("[" * 100_000)


config_values = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=10),
                                scalars | st.lists(st.integers() | st.text(max_size=3), max_size=4), max_size=5)


@SETTINGS
@given(values=config_values, profile=st.sampled_from(PROFILES) | st.text(max_size=8))
def test_any_config_values_give_a_config_that_survives_its_own_json_or_a_user_error(values, profile):
    for source in ("file_values", "overrides"):
        try:
            cfg = make_config(profile=profile, **{source: values})
        except UserError:
            continue
        assert isinstance(cfg, Config)
        again = make_config(file_values=json.loads(cfg.to_json()))  # what --resume does with config.json
        assert again.to_json() == cfg.to_json()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("properties")


@SETTINGS
@given(data=st.binary(max_size=300) | st.text(max_size=100).map(str.encode), suffix=st.sampled_from([".json", ".yaml"]))
@example(data=b"[" * 100_000, suffix=".json")
def test_any_utf8_text_as_a_config_file_gives_a_mapping_or_a_user_error(scratch, data, suffix):
    path = scratch / f"config{suffix}"
    try:
        data.decode()
    except UnicodeDecodeError:
        return  # see the test below
    path.write_bytes(data)
    try:
        assert isinstance(load_config_file(path), dict)
    except UserError:
        pass


def test_a_config_file_that_is_not_utf8_is_a_user_error(tmp_path):
    (tmp_path / "c.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(UserError):
        load_config_file(tmp_path / "c.json")


def mutate(data: bytes, how: str, at: int, value: int) -> bytes:
    at = at % (len(data) + 1)
    if how == "truncate":
        return data[:at]
    if how == "insert":
        return data[:at] + bytes([value]) + data[at:]
    return data[:at] + bytes([data[at] ^ (value or 1)]) + data[at + 1:] if at < len(data) else data + b"\x00"


mutations = st.tuples(st.sampled_from(["truncate", "insert", "flip"]), st.integers(min_value=0), st.integers(0, 255))


@SETTINGS
@given(data=st.binary(max_size=400), change=mutations)
@example(data=b"\xff\xfe{", change=("flip", 99, 0))
@example(data=b"[" * 100_000, change=("insert", 0, 32))
def test_any_bytes_or_damaged_json_as_a_run_file_give_a_json_object_or_a_user_error(scratch, data, change):
    good = json.dumps(make_config(profile="smoke").to_dict()).encode()
    run = RunDir(scratch)
    for content in (data, mutate(good, *change)):
        run.file("config.json").write_bytes(content)
        try:
            read_json(run.file("config.json"))
        except UserError:
            pass
        try:
            values = run.read_json("config.json")
        except UserError:
            continue
        assert isinstance(values, dict)
        try:
            make_config(file_values=values)
        except UserError:
            pass


def torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


GOOD_CHECKPOINT = torch_bytes({"kind": "train", "iteration": 3, "w": torch.arange(12.0).reshape(3, 4),
                               "rng": capture_rng(), "best": None})


@SETTINGS
@given(data=st.binary(max_size=600), change=mutations)
@example(data=b"", change=("truncate", 0, 0))
@example(data=b"\x80\x02}q\x00.", change=("truncate", 10**9, 0))
def test_any_bytes_or_damaged_checkpoint_give_a_dict_or_a_user_error(scratch, data, change):
    path = scratch / "checkpoint.pt"
    for content in (data, mutate(GOOD_CHECKPOINT, *change)):
        path.write_bytes(content)
        try:
            assert isinstance(load_checkpoint(path), dict)
        except UserError:
            pass
