"""Alembic environment: runs on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from offer.frameworks.service.store import ServiceBase as Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
