"""The master's durable state: SQLAlchemy 2.x models and the group-commit store."""

from master.store.store import Snapshot, StateStore

__all__ = ["Snapshot", "StateStore"]
