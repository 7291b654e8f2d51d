"""SQLAlchemy models of the master's state. Rows never leave the store package."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AgentRow(Base):
    __tablename__ = "agents"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    cpus: Mapped[float] = mapped_column(Float)
    mem: Mapped[float] = mapped_column(Float)
    disk: Mapped[float] = mapped_column(Float)
    registered_at: Mapped[float] = mapped_column(Float)
    # [[begin, end], ...] of its port ranges.
    ports: Mapped[list[list[int]]] = mapped_column(JSON, default=list, server_default="[]")
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    # Declared lost after --agent-timeout without a stream; its tasks are LOST.
    lost: Mapped[bool] = mapped_column(Boolean, default=False)
    # Unix time its tasks are killed at, while drained for maintenance.
    drain_deadline: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The authenticated principal that first registered it: only it may again.
    principal: Mapped[str] = mapped_column(String(128), default="", server_default="")
    # Where other hosts reach its tasks (an IP literal; "" from an old agent).
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # Role -> [cpus, mem, disk] reserved for it: by the agent's flags as it
    # last registered (static), and by frameworks and operators (dynamic,
    # of which this row is the only record).
    static_reservations: Mapped[dict[str, list[float]]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    dynamic_reservations: Mapped[dict[str, list[float]]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )


class FrameworkRow(Base):
    __tablename__ = "frameworks"

    framework_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(128))
    user: Mapped[str] = mapped_column(String(128))
    failover_timeout: Mapped[float] = mapped_column(Float)
    registered_at: Mapped[float] = mapped_column(Float)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    control_address: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # The authenticated principal that registered it: only it may act for it.
    principal: Mapped[str] = mapped_column(String(128), default="", server_default="")


class TaskRow(Base):
    __tablename__ = "tasks"

    framework_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    cpus: Mapped[float] = mapped_column(Float)
    mem: Mapped[float] = mapped_column(Float)
    disk: Mapped[float] = mapped_column(Float)
    # TaskInfo.revocable: its resources were lent (docs/revocable.md).
    revocable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The whole TaskInfo as protobuf JSON (offer.wire.spec_to_json); the
    # columns above repeat what queries need.
    spec: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    # The latest status, denormalised so that listing tasks needs one query.
    state: Mapped[int] = mapped_column(Integer)
    status_uuid: Mapped[str] = mapped_column(String(32))


class StatusUpdateRow(Base):
    """Status updates in arrival order (seq), kept for redelivery and as each
    task's history: the last HISTORY_LIMIT per task, and any not yet acknowledged."""

    __tablename__ = "status_updates"
    # Pruned tasks' updates are deleted by task (master.history).
    __table_args__ = (Index("ix_status_updates_task", "framework_id", "task_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(32), unique=True)
    framework_id: Mapped[str] = mapped_column(String(64), index=True)
    task_id: Mapped[str] = mapped_column(String(128))
    agent_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[int] = mapped_column(Integer)
    reason: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[float] = mapped_column(Float)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The health-check verdict it carried, if any.
    healthy: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)


class LeadershipRow(Base):
    """The leader's lease: one row (id 1), made by the migration. Times are
    the database's clock in Unix seconds, so the masters' clocks never
    matter. A standby takes the lease once renewed_at + lease_seconds is
    past, incrementing epoch; every write of the leader checks the epoch it
    took is still the row's (master.leadership)."""

    __tablename__ = "leadership"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Incremented by every election; 0 before the first.
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    # The holding process ("host:pid:nonce"); "" before the first election.
    holder: Mapped[str] = mapped_column(String(128), default="", server_default="")
    # HOST:PORT the holder is reached at (its --advertise).
    address: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # When the holder last renewed, and for how long a renewal holds.
    renewed_at: Mapped[float] = mapped_column(Float, default=0.0)
    lease_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class QuotaRow(Base):
    """A role's quota (master.allocator.quota). Removing a quota writes its
    row with no guarantee and no limit, which recovery skips: an upsert
    keeps the order of a set and a removal in one commit, with no delete."""

    __tablename__ = "quotas"

    role: Mapped[str] = mapped_column(String(128), primary_key=True)
    # Guaranteed amounts; 0 guarantees nothing of that kind.
    guarantee_cpus: Mapped[float] = mapped_column(Float, default=0.0)
    guarantee_mem: Mapped[float] = mapped_column(Float, default=0.0)
    guarantee_disk: Mapped[float] = mapped_column(Float, default=0.0)
    # Limits; NULL: that kind is not limited.
    limit_cpus: Mapped[float | None] = mapped_column(Float, nullable=True)
    limit_mem: Mapped[float | None] = mapped_column(Float, nullable=True)
    limit_disk: Mapped[float | None] = mapped_column(Float, nullable=True)
