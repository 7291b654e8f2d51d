"""Alembic environment: see offer.sqlmigrate.run_environment."""

from offer.sqlmigrate import run_environment

run_environment()
