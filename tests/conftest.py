from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cluster import Cluster

# Every master the tests start, in-process or as a process, checks its
# invariants where its state changes (master/invariants.py).
os.environ.setdefault("OFFER_CHECK_INVARIANTS", "1")


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
