"""Name -> plug-in registries for search spaces, strategies and named (published) architectures.

The built-in plug-ins are listed once, in `BUILTIN_PLUGINS`; third-party packages add theirs through the entry-point
groups `ganas_bench.spaces` and `ganas_bench.strategies`: an entry point names a module whose import runs
`@register_space(...)` / `@register_strategy(...)` (see examples/my_strategy.py). Lookups load those modules lazily, so
`import ganas_bench` stays cheap.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import Callable, Generic, TypeVar

from .errors import UserError, preview

T = TypeVar("T")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# The one list of built-in plug-ins: modules imported on the first lookup of their registry.
BUILTIN_PLUGINS = {
    "ganas_bench.spaces": ("ganas_bench.spaces.autogan", "ganas_bench.spaces.adversarialnas"),
    "ganas_bench.strategies": (
        "ganas_bench.strategies.random_search",
        "ganas_bench.strategies.rl",
        "ganas_bench.strategies.differentiable",
    ),
}


class Registry(Generic[T]):
    """A validated name -> object map that fills itself from entry points on first lookup."""

    def __init__(self, kind: str, group: str):
        self.kind = kind
        self.group = group
        self._items: dict[str, T] = {}
        self._loaded = False

    def register(self, name: str) -> Callable[[T], T]:
        if not _NAME.match(name):
            raise ValueError(f"{self.kind} name {name!r} must match {_NAME.pattern}")

        def decorator(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return decorator

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for module in BUILTIN_PLUGINS.get(self.group, ()):
            try:
                import_module(module)
            except ModuleNotFoundError as exc:  # a built-in that has not landed yet
                if exc.name != module:
                    raise
        for ep in entry_points(group=self.group):
            if ep.value in BUILTIN_PLUGINS.get(self.group, ()):
                continue
            ep.load()

    def get(self, name: str) -> T:
        self._load()
        if not isinstance(name, str) or name not in self._items:
            raise UserError(f"unknown {self.kind} {preview(name)}; choose one of: {', '.join(self.names())}")
        return self._items[name]

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def items(self) -> list[tuple[str, T]]:
        self._load()
        return sorted(self._items.items())


SPACES: Registry = Registry("search space", "ganas_bench.spaces")
STRATEGIES: Registry = Registry("strategy", "ganas_bench.strategies")


@dataclass(frozen=True)
class NamedArchitecture:
    """A published or reference architecture: which space it lives in, its genotype, and one line about it."""

    name: str
    space: str
    choices: tuple[int, ...]
    description: str


_ARCHITECTURES: dict[str, NamedArchitecture] = {}


def register_space(name: str):
    return SPACES.register(name)


def register_strategy(name: str):
    return STRATEGIES.register(name)


def register_architecture(name: str, space: str, choices, description: str) -> NamedArchitecture:
    if not _NAME.match(name):
        raise ValueError(f"architecture name {name!r} must match {_NAME.pattern}")
    arch = NamedArchitecture(name, space, tuple(int(c) for c in choices), description)
    if name in _ARCHITECTURES and _ARCHITECTURES[name] != arch:
        raise ValueError(f"architecture {name!r} is registered twice")
    _ARCHITECTURES[name] = arch
    return arch


def architectures() -> dict[str, NamedArchitecture]:
    SPACES._load()
    return dict(sorted(_ARCHITECTURES.items()))


def get_architecture(name: str) -> NamedArchitecture:
    known = architectures()
    if name not in known:
        raise UserError(f"unknown architecture {preview(name)}; choose one of: {', '.join(known)}")
    return known[name]
