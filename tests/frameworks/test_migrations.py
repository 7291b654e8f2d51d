"""Each framework's migrations build exactly its store's models."""

from __future__ import annotations

from types import ModuleType

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine

from frameworks.batch import migrate as batch_migrate
from frameworks.batch.store import BatchBase
from frameworks.service import migrate as service_migrate
from frameworks.service.store import ServiceBase


@pytest.mark.parametrize(
    ("migrate", "metadata"),
    [(service_migrate, ServiceBase.metadata), (batch_migrate, BatchBase.metadata)],
    ids=["service", "batch"],
)
def test_migrations_build_exactly_the_models(
    db_url: str, migrate: ModuleType, metadata: MetaData
) -> None:
    """A model changed without a migration (python -m
    frameworks.<name>.migrate revision "...") fails here."""
    engine = create_engine(db_url)
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # idempotent on an up-to-date database
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
