"""The evaluation protocol a score is measured on, and what in a row's protocol differs from its profile's.

Rows are compared with the protocol of the profile they belong to (`profile_protocol`), never with whatever most rows
happen to use: its n_fake, image size and backbone from `config.profile_defaults(profile)`, and the real set that
profile evaluates against (`REAL_SETS`). On the paper profiles that is the papers' protocol (50k samples, FID against
the training split's statistics). torch-fidelity's inception-v3-compat counts as the TensorFlow Inception (see
published.py); the backbone column still names it on every row.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from ..config import profile_defaults
from ..data.cifar10 import CIFAR10_SPLIT
from ..data.digits import DIGITS_SPLIT
from ..data.stl10 import STL10_SPLIT
from ..errors import UserError
from ..published import NOT_STATED, TF_INCEPTION_EQUIVALENT
from .keys import (KEY_BACKBONE, KEY_DATASET, KEY_IMAGE_SIZE, KEY_N_FAKE, KEY_N_REAL, KEY_REFERENCE_SPLIT,
                   PROTOCOL_KEYS)

#: the real images each dataset is evaluated against: all 1,797 of scikit-learn's digits; the papers' training splits.
#: The split names are the readers' own (what metrics.json records), so a renamed split cannot leave a profile's runs
#: outside its own tables.
REAL_SETS = {
    "digits": {KEY_N_REAL: 1797, KEY_REFERENCE_SPLIT: DIGITS_SPLIT},
    "cifar10": {KEY_N_REAL: 50000, KEY_REFERENCE_SPLIT: CIFAR10_SPLIT},
    "stl10": {KEY_N_REAL: 105000, KEY_REFERENCE_SPLIT: STL10_SPLIT},
}


def profile_protocol(profile: str) -> dict[str, Any]:
    """{dataset, image_size, n_fake, n_real, reference_split, backbone} of a profile; {} for an unknown profile."""
    try:
        cfg = profile_defaults(profile)
    except UserError:
        return {}
    return {KEY_DATASET: cfg.dataset, KEY_IMAGE_SIZE: cfg.image_size, KEY_N_FAKE: cfg.n_fake,
            **REAL_SETS.get(cfg.dataset, {KEY_N_REAL: None, KEY_REFERENCE_SPLIT: None}), KEY_BACKBONE: cfg.backbone}


def known(value: Any) -> bool:
    return not (value is None or value == "" or value == NOT_STATED or (isinstance(value, float) and math.isnan(value)))


def protocol_text(value: Any) -> str:
    """A protocol value as text: whole numbers without ".0"; "" when unknown."""
    if not known(value):
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(number)


def protocol_key(row: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(protocol_text(row.get(name)) for name in PROTOCOL_KEYS)


def protocol_title(key: tuple[str, ...]) -> str:
    return ", ".join(f"{name} {value or NOT_STATED}" for name, value in zip(PROTOCOL_KEYS, key))


def _same(name: str, value: Any, reference: Any) -> bool:
    if name == KEY_BACKBONE and value in TF_INCEPTION_EQUIVALENT and reference in TF_INCEPTION_EQUIVALENT:
        return True
    return protocol_text(value) == protocol_text(reference)


def protocol_note(values: Mapping[str, Any], reference: Mapping[str, Any], reference_name: str) -> str:
    """What in a row's protocol differs from the reference ("n_fake 1000 (profile tiny: 2000)"), and what its
    source does not state; "as <reference_name>" when nothing does."""
    differ, unknown = [], []
    for name in PROTOCOL_KEYS:
        value, ref = values.get(name), reference.get(name)
        if not known(value):
            unknown.append(name)
        elif known(ref) and not _same(name, value, ref):
            differ.append(f"{name} {protocol_text(value)} ({reference_name}: {protocol_text(ref)})")
    if len(unknown) == len(PROTOCOL_KEYS):
        return NOT_STATED
    parts = differ + ([f"{NOT_STATED}: {', '.join(unknown)}"] if unknown else [])
    return "; ".join(parts) if parts else f"as {reference_name}"


def matches(values: Mapping[str, Any], reference: Mapping[str, Any]) -> bool:
    """Whether every protocol field is known and equal to the reference's."""
    return all(known(values.get(n)) and _same(n, values.get(n), reference.get(n)) for n in PROTOCOL_KEYS)
