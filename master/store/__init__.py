"""The master's durable state: SQLAlchemy 2.x models and the group-commit store."""

from master.store.recovery import Snapshot
from master.store.state_store import StateStore

__all__ = ["Snapshot", "StateStore"]
