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


# ------------------------------------------------------------------------------------ issue 15: families of inputs
numbers = (st.integers() | st.integers(min_value=2**53 - 2, max_value=10**400) | st.floats() | st.booleans()
           | st.text(max_size=6) | st.lists(st.integers(-3, 5) | st.floats(allow_nan=False), max_size=5))
number_fields = st.sampled_from(["seed", "lr_g", "train_iters", "stage_iters", "gf_dim", "ema_decay", "n_fake",
                                 "download", "eval_seeds"])


@SETTINGS
@given(field=number_fields, value=numbers, suffix=st.sampled_from([".json", ".yaml"]))
@example(field="stage_iters", value="1", suffix=".yaml")  # a comma list as one string: the CLI's form, taken
def test_8_13_any_number_in_a_config_file_is_taken_exactly_as_typed_or_refused_in_one_line(scratch, field, value,
                                                                                           suffix):
    """The CLI with the value in a config file: exit 2 and one line, nothing written (the image size on the command
    line is refused last, so no value makes it run); and a value that is taken is the value that was written."""
    import yaml

    from cli_contract import refused

    path = scratch / f"numbers{suffix}"
    text = json.dumps({field: value}) if suffix == ".json" else yaml.safe_dump({field: value})
    path.write_text(text)
    refused(["train", "--config", path, "--profile", "smoke", "--device", "cpu", "--image-size", "20",
             "--results-dir", scratch / "runs"], scratch / "runs")
    try:
        cfg = make_config(profile="smoke", file_values=load_config_file(path))
    except UserError:
        return
    taken = getattr(cfg, field)
    written = tuple(value) if isinstance(value, list) else value
    if field == "stage_iters" and isinstance(value, str):  # a tuple also takes its comma list, the form --help shows
        written = tuple(int(v) for v in value.replace(" ", "").split(",") if v)
    assert taken == written  # 2.0 taken as 2 is the one change, and it changes no value
    assert isinstance(taken, bool) == isinstance(written, bool)


@settings(max_examples=60, deadline=None)
@given(levels=st.integers(1, 14), fan_out=st.integers(1, 12), wrap=st.integers(0, 30))
def test_3_yaml_of_any_alias_fan_out_and_nesting_parses_small_or_is_refused_at_once(tmp_path_factory, levels,
                                                                                      fan_out, wrap):
    import time

    path = tmp_path_factory.getbasetemp() / "nested.yaml"
    lines = ["seed:", "  a0: &a0 " + "[" * wrap + "1" + "]" * wrap]
    lines += [f"  a{i}: &a{i} [{','.join([f'*a{i - 1}'] * fan_out)}]" for i in range(1, levels + 1)]
    path.write_text("\n".join(lines) + "\n")
    start = time.monotonic()
    try:
        data = load_config_file(path)
    except UserError as exc:
        assert "config file" in str(exc) and len(str(exc)) < 300
    else:
        assert isinstance(data, dict) and wrap + 2 <= 16
    assert time.monotonic() - start < 5  # generous: a bomb is refused on its events, never expanded


path_text = st.text(st.characters(blacklist_categories=("Cs",)) | st.sampled_from(["/", "\0", ".", " ", "\n"]),
                    max_size=300) | st.sampled_from(["a" * 256, "a/" * 2049, "\0", "", "/", "//x"])


@SETTINGS
@given(text=path_text)
def test_9_any_path_text_in_a_config_is_a_results_folder_or_a_user_error(scratch, text):
    from ganas_bench.runs.rundir import check_results_dir

    try:
        cfg = make_config(profile="smoke", file_values={"results_dir": text, "data_root": text})
        check_results_dir(cfg.results_dir)
    except UserError as exc:
        assert "\n" not in str(exc).strip() or "\n" in text


sizes = st.integers(1, 8192)


@settings(max_examples=120, deadline=None)
@given(gf=sizes, df=sizes, batch=sizes, side=st.sampled_from([16, 32, 64, 128, 256, 512, 1024]),
       latent=sizes, recipe=st.sampled_from(["equal", "paper"]))
def test_6_any_widths_pass_the_checks_only_when_the_memory_bound_fits(gf, df, batch, side, latent, recipe):
    """The checks before a run either refuse in one UserError or pass; when they pass, the lower bound of one
    training step is within the device's memory (so a refusal is never needed later, from the allocator)."""
    from ganas_bench.commands import check_widths
    from ganas_bench.memory import device_memory, training_bytes

    try:
        cfg = make_config(profile="smoke", overrides={
            "gf_dim": gf, "df_dim": df, "g_batch": batch, "d_batch": batch, "image_size": side,
            "bottom_width": side // 8, "latent_dim": latent, "recipe": recipe, "device": "cpu"})
        check_widths(cfg, SPACES.get("autogan")(), search=False)
    except UserError as exc:
        assert len(str(exc)) < 300
        return
    limit, _ = device_memory("cpu")
    assert training_bytes(latent, side // 8, gf, df, side, batch, batch) <= limit


arch_text = st.text(max_size=400) | st.sampled_from(["x" * 300, "x" * 300 + ".json", "{" + " " * 300, "a\0b"])


@SETTINGS
@given(arch=arch_text | genotype_dicts.map(lambda d: json.dumps(d, indent=2) + " " * 300))
def test_1_any_arch_text_resolves_or_is_a_user_error(arch):
    from ganas_bench.architecture import resolve_architecture

    try:
        resolve_architecture(arch)
    except UserError as exc:
        assert len(str(exc)) < 300
