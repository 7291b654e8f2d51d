from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from offer.localcluster.hosts import HostSet, needs_root_problem
from tests.support.cluster import IMAGE
from tests.support.multihost import HostCluster, worker_index

HOSTS = 3


@pytest.fixture(scope="session")
def host_set() -> Iterator[HostSet]:
    """Three hosts with their engines and a registry holding the test
    image, for every multi-host test of this worker."""
    if problem := needs_root_problem():
        pytest.skip(f"multi-host tests: {problem}")
    index = worker_index()
    hosts = HostSet(index, HOSTS, Path(f"/tmp/oct{index}"))
    hosts.up([IMAGE])
    try:
        yield hosts
    finally:
        hosts.down()


@pytest.fixture
def hcluster(host_set: HostSet, tmp_path: Path) -> Iterator[HostCluster]:
    """A cluster of this test's own on the shared hosts; every host is
    whole again afterwards (a link back up, an engine powered back on)."""
    c = HostCluster(tmp_path, host_set)
    try:
        yield c
    finally:
        c.close()
        for host in host_set.hosts:
            host_set.network.heal(host)
            host_set.network.unblock_all(host)
            if not host_set.engine(host).answers():
                host_set.power_on(host)
