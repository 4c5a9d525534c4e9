"""Genotypes round-trip and hash stably; registries refuse unknown names with the list of known ones."""
import subprocess
import sys

import pytest

from ganas_bench.errors import UserError
from ganas_bench.genotype import Genotype
from ganas_bench.registry import SPACES, STRATEGIES, Registry, get_architecture


def test_genotype_json_round_trip_and_stable_hash():
    g = Genotype("autogan", (1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 3))
    assert Genotype.from_json(g.to_json()) == g
    assert g.stable_hash() == Genotype.from_dict(g.to_dict()).stable_hash()
    # independent of the interpreter's hash seed
    code = ("from ganas_bench.genotype import Genotype;"
            "print(Genotype('autogan', (1,0,1,1,1,0,0,1,1,1,0,1,0,3)).stable_hash())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123"}).stdout.strip()
    assert out == g.stable_hash()


@pytest.mark.parametrize("text", ["[1, 2]", '{"space": 3, "choices": [1]}', '{"space": "a", "choices": [1.5]}', "{"])
def test_malformed_genotypes_are_user_errors(text):
    with pytest.raises(UserError):
        Genotype.from_json(text)


def test_unknown_names_list_what_exists():
    with pytest.raises(UserError, match="unknown search space 'nope'; choose one of: .*autogan"):
        SPACES.get("nope")
    with pytest.raises(UserError, match="unknown strategy 'nope'; choose one of: .*random"):
        STRATEGIES.get("nope")
    with pytest.raises(UserError, match="unknown architecture 'nope'; choose one of: .*autogan_cifar10_a"):
        get_architecture("nope")


def test_registry_refuses_bad_names_and_double_registration():
    reg = Registry("thing", "ganas_bench.test_things")
    with pytest.raises(ValueError):
        reg.register("Bad Name")
    reg.register("one")(int)
    with pytest.raises(ValueError):
        reg.register("one")(float)
    assert reg.names() == ["one"]


def test_builtins_are_listed_once_and_not_also_as_entry_points():
    """Built-ins load from `BUILTIN_PLUGINS`; entry points are for third parties (see test_example_strategy)."""
    from importlib.metadata import entry_points

    from ganas_bench.registry import BUILTIN_PLUGINS, SPACES, STRATEGIES

    assert {"autogan", "adversarialnas"} <= set(SPACES.names())
    assert {"rl", "random", "differentiable"} <= set(STRATEGIES.names())
    for group, modules in BUILTIN_PLUGINS.items():
        declared = {ep.module for ep in entry_points(group=group)}
        assert not declared & set(modules), f"{group} declares a built-in twice"


def test_a_name_that_is_not_a_string_is_a_user_error():
    with pytest.raises(UserError, match="unknown search space 3"):
        SPACES.get(3)
