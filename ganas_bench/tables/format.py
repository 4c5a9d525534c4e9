"""How numbers are written in the tables: digits, intervals, costs, counts, CSV cells, KID's scale."""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

from ..results.keys import CPU_UNIT, GPU_UNIT

#: KID is printed scaled per backbone, the scale named in the column header: ×10³ for Inception features (the
#: papers' habit); the digits classifier's unnormalised features give KIDs in the tens, printed as they are.
KID_SCALES = {"inception-v3-compat": 1e3, "tf-inception": 1e3, "digits-classifier": 1.0}
UNIT_NAMES = {CPU_UNIT: "CPU core-hours", GPU_UNIT: "GPU-hours"}


def missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def fmt(value: Any, digits: int) -> str:
    return "" if missing(value) else f"{value:.{digits}f}"


def pm(mean: float, std: float, digits: int) -> str:
    text = fmt(mean, digits)
    return f"{text} ± {fmt(std, digits)}" if text and not missing(std) else text


def sig(value: float) -> str:
    return "" if missing(value) else f"{value:.3g}"


def count(value: Any) -> str:
    return "" if missing(value) else f"{int(float(value)):,}"


def whole(value: Any) -> str:
    """A whole count without separators; "" when not recorded (never a made-up 0)."""
    return "" if missing(value) else str(int(value))


def csv_value(value: Any) -> str:
    if missing(value):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def interval(row: Mapping[str, Any], prefix: str, digits: int, scale: float = 1.0) -> str:
    """"mean [low, high]" of a group summary's 95% interval; "mean (n=1)" when one seed gives no interval."""
    mean = row[f"{prefix}_mean"]
    if missing(mean):
        return ""
    text = fmt(mean * scale, digits)
    if missing(row[f"{prefix}_ci_low"]):
        return f"{text} (n={row[f'{prefix}_n']})"
    return f"{text} [{fmt(row[f'{prefix}_ci_low'] * scale, digits)}, {fmt(row[f'{prefix}_ci_high'] * scale, digits)}]"


def spread(row: Mapping[str, Any], prefix: str, digits: int, scale: float = 1.0) -> str:
    """"sd (min-max)" over seeds; "" with fewer than 2 seeds."""
    if missing(row[f"{prefix}_sd"]):
        return ""
    return (f"{fmt(row[f'{prefix}_sd'] * scale, digits)} ({fmt(row[f'{prefix}_min'] * scale, digits)}-"
            f"{fmt(row[f'{prefix}_max'] * scale, digits)})")


def unit_name(unit: str) -> str:
    return UNIT_NAMES.get(unit, unit)


def cost_text(hours: float, unit: str) -> str:
    """Device time in its own unit: "0.123 CPU core-hours"; GPU time also in the papers' GPU-days. CPU time is never
    converted into a GPU unit."""
    if missing(hours) or not unit:
        return ""
    text = f"{sig(hours)} {unit_name(unit)}"
    return text + (f" = {sig(hours / 24.0)} GPU-days" if unit == GPU_UNIT else "")


def kid_scale(backbone: str) -> float:
    return KID_SCALES.get(backbone, 1e3)


def kid_header(scale: float) -> str:
    return "KID ×10³" if scale == 1e3 else f"KID ×{scale:g}"


def safe_name(name: str) -> str:
    """A profile or strategy name as a file-name part."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "unknown"
