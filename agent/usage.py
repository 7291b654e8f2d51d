"""What the machine and each task's container use, sampled periodically.

CPU is derived from two successive samples of cumulative CPU time (the
containerizer reads counters, where a two-sample engine stats call takes a
second per container).
"""

from __future__ import annotations

import time

import psutil

from agent.containerizer.docker import DockerContainerizer
from offer.resources import Usage


def machine_usage() -> Usage:
    # cpu_percent(None) measures since its previous call, i.e. over an interval.
    cores = psutil.cpu_percent(None) / 100 * (psutil.cpu_count() or 1)
    vm = psutil.virtual_memory()
    return Usage(round(cores, 3), round((vm.total - vm.available) / 2**20, 1), time.time())


def machine_free_mem() -> float:
    """MiB the machine could still give a process (psutil's `available`)."""
    return round(float(psutil.virtual_memory().available) / 2**20, 1)


class ContainerSampler:
    def __init__(self, containerizer: DockerContainerizer) -> None:
        self._containerizer = containerizer
        self._previous: dict[str, tuple[float, int]] = {}  # container -> (monotonic, cpu ns)

    async def sample(self, container_ids: list[str]) -> dict[str, Usage]:
        counters = await self._containerizer.stats(container_ids)
        samples: dict[str, Usage] = {}
        now, wall = time.monotonic(), time.time()
        for container_id, (cpu_ns, mem_bytes) in counters.items():
            before = self._previous.get(container_id)
            cores = 0.0
            if before is not None and now > before[0]:
                cores = max(0.0, (cpu_ns - before[1]) / 1e9 / (now - before[0]))
            self._previous[container_id] = (now, cpu_ns)
            samples[container_id] = Usage(round(cores, 3), round(mem_bytes / 2**20, 1), wall)
        for gone in set(self._previous) - set(container_ids):
            del self._previous[gone]
        return samples
