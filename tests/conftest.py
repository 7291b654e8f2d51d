from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cluster import Cluster


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A real cluster, started piece by piece by the test."""
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def running_cluster(cluster: Cluster) -> Cluster:
    """A master and one agent with 2 cpus and 1024 MiB."""
    cluster.start_master()
    cluster.start_agent()
    return cluster
