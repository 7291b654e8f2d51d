"""The service framework's own state in SQL (SQLite by default): its
framework id, its apps and their instances. Small, so each write is its
own transaction (what changes together, in one), run in a thread by the
caller."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    Integer,
    String,
    Text,
    delete,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from frameworks.sdk.state import FrameworkState, MetaRow
from frameworks.service.rollout import VERSIONS_KEPT, AppVersion, Deployment, DeploymentState
from frameworks.service.spec import AppSpec
from offer.tasks import TaskState

# Its schema's alembic migrations (python -m frameworks.service.migrate revision "...").
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class AppRecord:
    spec: AppSpec
    # Bumped by a restart: part of the version, so every instance is replaced.
    nonce: int = 0
    backoff_until: float = 0.0
    failures: int = 0
    # The revision of `spec` in its history (0: none recorded yet).
    revision: int = 0
    deployment: Deployment = field(default_factory=Deployment)

    # (spec, its version): a spec's version is a digest of its whole
    # document, asked for by every planner pass (one per batch of updates).
    _digest: tuple[AppSpec, str] | None = field(default=None, repr=False, compare=False)

    @property
    def version(self) -> str:
        if self._digest is None or self._digest[0] is not self.spec:
            self._digest = (self.spec, self.spec.version)  # specs are immutable
        return f"{self._digest[1]}-{self.nonce}"


@dataclass
class InstanceRecord:
    task_id: str
    app_id: str
    version: str
    created_at: float
    state: TaskState = TaskState.STAGING
    agent_id: str = ""
    hostname: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    healthy: bool | None = None
    host_ports: list[int] = field(default_factory=list)
    message: str = ""
    # Its agent's advertised address ("" if placed before addresses existed).
    address: str = ""
    # The instance of an app with named volumes it is (-1: the app has none).
    slot: int = -1


@dataclass(frozen=True)
class VolumeClaim:
    """Where instance `slot` of an app keeps its named volumes: the agent it
    was first launched on, to which every later launch of it goes."""

    app_id: str
    slot: int
    agent_id: str
    hostname: str
    claimed_at: float


class ServiceBase(DeclarativeBase):
    pass


class _Meta(MetaRow, ServiceBase):
    pass


class _App(ServiceBase):
    __tablename__ = "apps"
    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    nonce: Mapped[int] = mapped_column(Integer)
    backoff_until: Mapped[float] = mapped_column(Float)
    failures: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deploy_state: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    deploy_started_at: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    deploy_progress_at: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    deploy_most_ready: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deploy_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class _AppVersion(ServiceBase):
    """The versions an app keeps (VERSIONS_KEPT), for history and rollback."""

    __tablename__ = "app_versions"
    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    deployed_at: Mapped[float] = mapped_column(Float)
    change: Mapped[str] = mapped_column(Text)


class _Instance(ServiceBase):
    __tablename__ = "instances"
    task_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    app_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    state: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str] = mapped_column(String(255))
    attributes: Mapped[dict[str, str]] = mapped_column(JSON)
    healthy: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    host_ports: Mapped[list[int]] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    slot: Mapped[int] = mapped_column(Integer, default=-1, server_default="-1")


class _VolumeClaim(ServiceBase):
    """Which agent holds each app instance's named volumes (kept until the
    app is removed: the volumes outlive every task)."""

    __tablename__ = "volume_claims"
    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(128))
    hostname: Mapped[str] = mapped_column(String(255))
    claimed_at: Mapped[float] = mapped_column(Float)


class ServiceStore(FrameworkState):
    def __init__(self, url: str) -> None:
        super().__init__(url, MIGRATIONS, _Meta)

    def load(self) -> tuple[str, list[AppRecord], list[InstanceRecord]]:
        with Session(self._engine) as s:
            framework_id = self.read_framework_id(s)
            apps = [
                AppRecord(
                    AppSpec.from_stored(r.spec, f"app {r.app_id!r}"),
                    r.nonce,
                    r.backoff_until,
                    r.failures,
                    r.revision,
                    Deployment(
                        DeploymentState(r.deploy_state),
                        r.deploy_started_at,
                        r.deploy_progress_at,
                        r.deploy_most_ready,
                        r.deploy_reason,
                    ),
                )
                for r in s.scalars(select(_App))
            ]
            instances = [
                InstanceRecord(
                    r.task_id,
                    r.app_id,
                    r.version,
                    r.created_at,
                    TaskState(r.state),
                    r.agent_id,
                    r.hostname,
                    dict(r.attributes),
                    r.healthy,
                    list(r.host_ports),
                    r.message,
                    r.address,
                    r.slot,
                )
                for r in s.scalars(select(_Instance).order_by(_Instance.created_at))
            ]
        return framework_id, apps, instances

    def claims(self) -> list[VolumeClaim]:
        with Session(self._engine) as s:
            return [
                VolumeClaim(r.app_id, r.slot, r.agent_id, r.hostname, r.claimed_at)
                for r in s.scalars(select(_VolumeClaim))
            ]

    def save_app(self, app: AppRecord) -> None:
        self.save([app])

    def save(
        self,
        apps: Sequence[AppRecord] = (),
        instances: Sequence[InstanceRecord] = (),
        claims: Sequence[VolumeClaim] = (),
    ) -> None:
        """Apps, instances and volume claims in one transaction: status
        updates that arrived together, changing both, cost one commit (and
        one fsync); an instance's first launch and its claim go together."""
        self.upsert(
            [*map(_app_row, apps), *map(_instance_row, instances), *map(_claim_row, claims)]
        )

    def delete_claims(self, *claims: VolumeClaim) -> None:
        with Session(self._engine) as s, s.begin():
            for c in claims:
                s.execute(
                    delete(_VolumeClaim).where(
                        _VolumeClaim.app_id == c.app_id, _VolumeClaim.slot == c.slot
                    )
                )

    def delete_app(self, app_id: str) -> None:
        with Session(self._engine) as s, s.begin():
            s.execute(delete(_App).where(_App.app_id == app_id))
            s.execute(delete(_AppVersion).where(_AppVersion.app_id == app_id))
            s.execute(delete(_VolumeClaim).where(_VolumeClaim.app_id == app_id))

    def save_version(self, app: AppRecord, version: AppVersion) -> None:
        """The app and its new version in one transaction; versions beyond
        the last VERSIONS_KEPT are dropped."""
        self.upsert([_app_row(app), _version_row(app.spec.id, version)])
        oldest_kept = version.revision - VERSIONS_KEPT + 1
        with Session(self._engine) as s, s.begin():
            s.execute(
                delete(_AppVersion).where(
                    _AppVersion.app_id == app.spec.id, _AppVersion.revision < oldest_kept
                )
            )

    def versions(self, app_id: str) -> list[AppVersion]:
        """The app's kept versions, oldest first."""
        with Session(self._engine) as s:
            rows = s.scalars(
                select(_AppVersion)
                .where(_AppVersion.app_id == app_id)
                .order_by(_AppVersion.revision)
            )
            return [
                AppVersion(
                    r.revision,
                    AppSpec.from_stored(r.spec, f"app {app_id!r} revision {r.revision}"),
                    r.deployed_at,
                    r.change,
                )
                for r in rows
            ]

    def save_instances(self, *instances: InstanceRecord) -> None:
        self.save(instances=instances)

    def delete_instances(self, *task_ids: str) -> None:
        with Session(self._engine) as s, s.begin():
            s.execute(delete(_Instance).where(_Instance.task_id.in_(task_ids)))


def _app_row(app: AppRecord) -> _App:
    return _App(
        app_id=app.spec.id,
        spec=app.spec.stored(),
        nonce=app.nonce,
        backoff_until=app.backoff_until,
        failures=app.failures,
        revision=app.revision,
        deploy_state=int(app.deployment.state),
        deploy_started_at=app.deployment.started_at,
        deploy_progress_at=app.deployment.progress_at,
        deploy_most_ready=app.deployment.most_ready,
        deploy_reason=app.deployment.reason,
    )


def _version_row(app_id: str, version: AppVersion) -> _AppVersion:
    return _AppVersion(
        app_id=app_id,
        revision=version.revision,
        spec=version.spec.stored(),
        deployed_at=version.deployed_at,
        change=version.change,
    )


def _instance_row(i: InstanceRecord) -> _Instance:
    return _Instance(
        task_id=i.task_id,
        app_id=i.app_id,
        version=i.version,
        created_at=i.created_at,
        state=int(i.state),
        agent_id=i.agent_id,
        hostname=i.hostname,
        attributes=i.attributes,
        healthy=i.healthy,
        host_ports=i.host_ports,
        message=i.message,
        address=i.address,
        slot=i.slot,
    )


def _claim_row(c: VolumeClaim) -> _VolumeClaim:
    return _VolumeClaim(
        app_id=c.app_id,
        slot=c.slot,
        agent_id=c.agent_id,
        hostname=c.hostname,
        claimed_at=c.claimed_at,
    )
