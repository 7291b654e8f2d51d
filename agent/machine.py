"""What this machine offers, measured with psutil."""

from __future__ import annotations

import os

import psutil

from offer.resources import Resources

# Kept back for the operating system and the agent itself, as Mesos does.
RESERVED_MEM_MIB = 1024.0
RESERVED_MEM_FRACTION = 0.5


# Host ports offered by default, as Mesos does.
DEFAULT_PORTS = ((31000, 32000),)


def machine_resources(work_dir: str, reserve: Resources | None = None) -> Resources:
    """All CPUs; total memory less min(1 GiB, half); free disk under
    work_dir; ports 31000-32000; then less `reserve` (never below zero)."""
    mem_mib = psutil.virtual_memory().total / 2**20
    mem_mib -= min(RESERVED_MEM_MIB, mem_mib * RESERVED_MEM_FRACTION)
    os.makedirs(work_dir, exist_ok=True)
    disk_mib = psutil.disk_usage(work_dir).free / 2**20
    total = Resources(
        float(psutil.cpu_count() or 1), round(mem_mib), round(disk_mib), DEFAULT_PORTS
    )
    if reserve is None:
        return total
    left = total - reserve
    return Resources(max(0.0, left.cpus), max(0.0, left.mem), max(0.0, left.disk), left.ports)


def parse_attributes(text: str) -> dict[str, str]:
    """Reads "rack:r1;zone:a". Raises ValueError naming the faulty part."""
    attributes: dict[str, str] = {}
    for raw in text.split(";"):
        part = raw.strip()
        if not part:
            continue
        key, sep, value = part.partition(":")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"'{part}' is not NAME:VALUE (e.g. 'rack:r1;zone:a')")
        attributes[key.strip()] = value.strip()
    return attributes
