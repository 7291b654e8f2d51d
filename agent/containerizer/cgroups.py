"""A container's CPU and memory use, read from the cgroup filesystem as
kubelet's cAdvisor does: three small file reads per container. The engine's
one-shot stats call costs the engine, containerd and the container's shim
milliseconds of CPU per container, and an agent samples every container
every few seconds, also during launch bursts (bench/profiling.md, note 24).

cgroup v1 (with or without the unified hierarchy beside it) and v2. A
container whose cgroup is not found here (a remote engine, another PID
namespace, a layout this does not know) yields None, and the caller asks
the engine instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The key of the cgroup2 mount in `mounts`'s answer (v1 keys are controllers).
UNIFIED = ""


@dataclass(frozen=True, slots=True)
class CgroupFiles:
    """Where one container's counters are."""

    cpu: Path  # v1: cpuacct.usage (ns); v2: cpu.stat (usage_usec)
    memory: Path  # the memory cgroup's directory
    v2: bool


def mounts(mountinfo: str) -> dict[str, Path]:
    """Controller -> mount point of its hierarchy (UNIFIED: the cgroup2
    mount), from the text of /proc/self/mountinfo."""
    found: dict[str, Path] = {}
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, kinds = left.split(), right.split()
        if len(fields) < 5 or len(kinds) < 3 or fields[3] != "/":
            continue  # a bind of a sub-tree: a cgroup's path would not join onto it
        point = Path(fields[4])
        if kinds[0] == "cgroup2":
            found.setdefault(UNIFIED, point)
        elif kinds[0] == "cgroup":
            for option in kinds[2].split(","):
                found.setdefault(option, point)
    return found


# Where engines put a container's cgroup in a hierarchy: dockerd with its
# cgroupfs driver, and with its systemd driver.
_USUAL_PLACES = ("docker/{id}", "system.slice/docker-{id}.scope")


def find(container_id: str, mounted: Mapping[str, Path]) -> CgroupFiles | None:
    """The container's counters if they are where engines usually put them
    (no question to the engine); None if not there."""
    for place in _USUAL_PLACES:
        path = place.format(id=container_id)
        for files in (_v1(path, path, mounted), _v2(path, mounted)):
            if files is not None and files.cpu.is_file() and files.memory.is_dir():
                return files
    return None


def locate(container_id: str, proc_cgroup: str, mounted: Mapping[str, Path]) -> CgroupFiles | None:
    """The counters of the container whose process's /proc/<pid>/cgroup
    reads `proc_cgroup`; None unless both cgroups name the container (the
    process could be another machine's or namespace's)."""
    v1: dict[str, str] = {}
    unified: str | None = None
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers:
            v1.update(dict.fromkeys(controllers.split(","), path))
        else:
            unified = path
    if {"cpuacct", "memory"} <= v1.keys():
        cpu_path, memory_path = v1["cpuacct"], v1["memory"]
        files = _v1(cpu_path, memory_path, mounted)
    elif unified is not None and not v1.keys() & {"cpuacct", "memory"}:
        cpu_path = memory_path = unified
        files = _v2(unified, mounted)
    else:
        return None
    if container_id not in cpu_path or container_id not in memory_path:
        return None
    return files


def _v1(cpu_path: str, memory_path: str, mounted: Mapping[str, Path]) -> CgroupFiles | None:
    if not {"cpuacct", "memory"} <= mounted.keys():
        return None
    return CgroupFiles(
        mounted["cpuacct"] / cpu_path.lstrip("/") / "cpuacct.usage",
        mounted["memory"] / memory_path.lstrip("/"),
        v2=False,
    )


def _v2(path: str, mounted: Mapping[str, Path]) -> CgroupFiles | None:
    if UNIFIED not in mounted:
        return None
    directory = mounted[UNIFIED] / path.lstrip("/")
    return CgroupFiles(directory / "cpu.stat", directory, v2=True)


def read_usage(files: CgroupFiles) -> tuple[int, int]:
    """(CPU time used so far in ns, memory in use in bytes less page cache),
    as the engine's stats report them. Raises OSError once the cgroup is gone."""
    memory_stat = _keyed(files.memory / "memory.stat")
    if files.v2:
        cpu_ns = _keyed(files.cpu).get("usage_usec", 0) * 1000
        used = int(_read(files.memory / "memory.current"))
        cache = memory_stat.get("file", 0)
    else:
        cpu_ns = int(_read(files.cpu))
        used = int(_read(files.memory / "memory.usage_in_bytes"))
        cache = memory_stat.get("total_cache", 0)
    return cpu_ns, max(0, used - cache)


def _read(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _keyed(path: Path) -> dict[str, int]:
    pairs = (line.split() for line in _read(path).decode().splitlines())
    return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[1].isdigit()}
