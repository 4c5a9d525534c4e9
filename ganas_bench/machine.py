"""What this computer is, as far as float results depend on it: the CPU's /proc/cpuinfo fields and cache sizes."""
from __future__ import annotations

import platform
from pathlib import Path


def cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (Linux); empty elsewhere."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.split("\n\n")[0].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


_CACHE_KIND = {"Data": "d", "Instruction": "i"}


def cache_sizes() -> str:
    """'L1d 32K, L1i 32K, L2 512K, L3 32768K' from sysfs (Linux); empty elsewhere."""
    out = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level, kind, size = ((index / name).read_text().strip() for name in ("level", "type", "size"))
        except OSError:
            continue
        out.append(f"L{level}{_CACHE_KIND.get(kind, '')} {size}")
    return ", ".join(out)


def cpu_model(info: dict[str, str] | None = None) -> str:
    """'AMD EPYC 7B13' on x86 Linux; implementer/part/variant on Arm; platform.processor() elsewhere."""
    info = cpuinfo() if info is None else info
    return info.get("model name") or " ".join(
        f"{k} {info[k]}" for k in ("CPU implementer", "CPU part", "CPU variant") if k in info) or platform.processor()


def cpu_id(info: dict[str, str] | None = None) -> str:
    """'AuthenticAMD / 25 / 1 / 1' (vendor / family / model / stepping): tells apart CPUs a vague model name does not."""
    info = cpuinfo() if info is None else info
    return " / ".join(info.get(k, "?") for k in ("vendor_id", "cpu family", "model", "stepping"))
