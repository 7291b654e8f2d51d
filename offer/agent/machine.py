"""What this machine offers, measured with psutil."""

from __future__ import annotations

import os

import psutil

from offer.resources import Resources

# Kept back for the operating system and the agent itself, as Mesos does.
RESERVED_MEM_MIB = 1024.0
RESERVED_MEM_FRACTION = 0.5


def machine_resources(work_dir: str) -> Resources:
    """All CPUs; total memory less min(1 GiB, half); free disk under work_dir."""
    mem_mib = psutil.virtual_memory().total / 2**20
    mem_mib -= min(RESERVED_MEM_MIB, mem_mib * RESERVED_MEM_FRACTION)
    os.makedirs(work_dir, exist_ok=True)
    disk_mib = psutil.disk_usage(work_dir).free / 2**20
    return Resources(float(psutil.cpu_count() or 1), round(mem_mib), round(disk_mib))
