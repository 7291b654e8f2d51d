from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ha import HaMasters
from tests.support.postgres import PostgresServer


@pytest.fixture
def masters(postgres: PostgresServer, tmp_path: Path) -> Iterator[HaMasters]:
    """offer-master processes of one HA group on a PostgreSQL database of
    this test's own, started by the test; all killed at its end."""
    group = HaMasters(tmp_path, postgres.new_database())
    try:
        yield group
    finally:
        group.close()
