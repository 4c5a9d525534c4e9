"""The architecture value every space, strategy and result shares.

A genotype is deliberately dumb: the space's name plus a tuple of small ints, one per decision. It hashes stably (sha256 of
its canonical JSON, not Python's salted `hash`) so that the same architecture gets the same id on every machine.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .errors import UserError, preview


@dataclass(frozen=True)
class Genotype:
    space: str
    choices: tuple[int, ...]

    def __post_init__(self):
        object.__setattr__(self, "choices", tuple(int(c) for c in self.choices))

    def to_dict(self) -> dict:
        return {"space": self.space, "choices": list(self.choices)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data) -> "Genotype":
        if not isinstance(data, dict) or "space" not in data or "choices" not in data:
            raise UserError(f"not a genotype: {preview(data)}; expected {{'space': NAME, 'choices': [INT, ...]}}")
        space, choices = data["space"], data["choices"]
        if not isinstance(space, str) or not isinstance(choices, (list, tuple)):
            raise UserError(f"not a genotype: {preview(data)}; 'space' must be a string and 'choices' a list of integers")
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in choices):
            raise UserError(f"genotype choices must be integers, got {preview(choices)}")
        return cls(space, tuple(choices))

    @classmethod
    def from_json(cls, text: str) -> "Genotype":
        try:
            data = json.loads(text)
        except (ValueError, TypeError, RecursionError) as exc:  # JSONDecodeError is a ValueError; deep nesting recurses
            raise UserError(f"genotype is not valid JSON ({type(exc).__name__}: {str(exc)[:200]})") from None
        return cls.from_dict(data)

    def stable_hash(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def __str__(self) -> str:
        return f"{self.space}:{'-'.join(map(str, self.choices))}"
