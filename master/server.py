"""Assembles and runs the master: state store, core and gRPC services.

A master starts as a standby: it opens the store (migrating it), binds its
port and answers every call with the standby answer (master/servicers/
standby.py) while it competes for the lease (master/leadership.py). Once
it leads it recovers the state from the database exactly as a restarted
master does, and serves. On a SQLite file it is the only master and leads
at once. A leader that loses the lead stops serving at once and exits
with LOST_LEAD_EXIT; its supervisor starts it again, as a standby.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket

import grpc

from master.collector import FreezingCollector
from master.core import Master, MasterConfig
from master.http import master_http
from master.leadership import DEFAULT_LEASE_SECONDS, Leadership
from master.logs import LogRelay
from master.metrics import MasterMetrics
from master.servicers.agent import AgentServicer
from master.servicers.operator import OperatorServicer
from master.servicers.scheduler import SchedulerServicer
from master.servicers.standby import StandbyGate
from master.state_metrics import MasterStateCollector
from master.store import StateStore
from master.ui import UiConfig
from offer.addresses import host_port
from offer.clock import Clock, SystemClock
from offer.grpc_options import SERVER_OPTIONS
from offer.metrics import GrpcServerMetrics, LoopLag, new_registry
from offer.security.server import ServerSecurity
from offer.serving import Serving
from offer.v1 import agent_pb2_grpc, operator_pb2_grpc, scheduler_pb2_grpc

log = logging.getLogger(__name__)


# Framework and operator calls are rate-limited per principal; agents are
# the cluster's own machines and their stream carries every task's updates.
RATE_LIMITED = frozenset({"offer.v1.Scheduler", "offer.v1.Operator"})
# What grpc.health.v1 reports on, besides the server overall.
SERVICES = ("offer.v1.Scheduler", "offer.v1.Agent", "offer.v1.Operator")
# The exit status of a leader that lost the lead (EX_TEMPFAIL: start it again).
LOST_LEAD_EXIT = 75
# Unspecified addresses: listening on every interface says nothing of
# where the master is reached.
_ANY_HOST = ("0.0.0.0", "::", "")
# Documentation addresses (RFC 5737, RFC 3849): connecting a UDP socket to
# one sends nothing, it only picks the default route's source address.
_ROUTE_PROBES = {socket.AF_INET: "192.0.2.1", socket.AF_INET6: "2001:db8::1"}


async def run_master(
    host: str,
    port: int,
    db_url: str,
    config: MasterConfig,
    security: ServerSecurity | None = None,
    clock: Clock | None = None,
    advertise: str | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    http_host: str | None = None,
    http_port: int = 0,
    ui: UiConfig | None = None,
) -> int:
    """Serves until SIGTERM or SIGINT, then shuts down gracefully and
    returns 0; returns LOST_LEAD_EXIT at once when it led and lost the lead.
    `advertise` is the HOST:PORT others reach it at (default host:port);
    /metrics, /health and the web UI are served on http_host:http_port
    (http_host None: the same as host)."""
    security = security or ServerSecurity()
    store = StateStore(db_url)
    # One registry per master (tests run several in one process).
    registry = new_registry()
    master = Master(store, config, clock or SystemClock(), MasterMetrics(registry))
    # Calls counted first, so that refused ones count with their code; then
    # the gate, so that a standby's answer needs no credentials.
    calls = GrpcServerMetrics(registry).interceptor()
    gate = StandbyGate()
    server = grpc.aio.server(
        options=SERVER_OPTIONS, interceptors=[calls, gate, *security.interceptors()]
    )
    logs = LogRelay(master)
    scheduler_pb2_grpc.add_SchedulerServicer_to_server(SchedulerServicer(master), server)
    agent_pb2_grpc.add_AgentServicer_to_server(AgentServicer(master, logs), server)
    operator = OperatorServicer(master, logs)
    operator_pb2_grpc.add_OperatorServicer_to_server(operator, server)
    serving = Serving(SERVICES)
    serving.add_to(server)
    bound = security.bind(server, host, port)
    operator.address = address = advertise or default_advertise(host, bound)
    operator.leadership = leadership = Leadership(
        store.lease, address, lease_seconds, exclusive=not store.shared
    )
    gate.leader = lambda: leadership.leader
    operator.serving = lambda: gate.serving
    await serving.set(False)
    # A standby's /metrics says it stands by (offer_master_leader 0).
    registry.register(MasterStateCollector(master, lambda: gate.serving))
    lag = LoopLag(registry)
    lag.start()
    http = master_http(
        host if http_host is None else http_host,
        http_port,
        registry,
        lambda: serving.serving,
        operator,
        security,
        ui,
    )
    await server.start()
    await http.start()
    log.info(
        "offer-master listening on %s (advertised as %s), state in %s",
        host_port(host, bound),
        address,
        store.url,
    )
    log.info("security: %s", security.describe())

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)

    campaign = asyncio.create_task(leadership.campaign(), name="campaign")
    if not await _first(campaign, stopping):
        campaign.cancel()
        log.info("offer-master shutting down (a standby)")
        await serving.drain()
        await http.stop()
        await lag.stop()
        await server.stop(grace=0)
        await store.close()
        return 0
    # Renewing from now: recovering a large state takes longer than a lease.
    holding = asyncio.create_task(leadership.hold(), name="leadership")
    if store.shared:
        store.fence_writes(leadership.fence)
    await master.start()
    collector = FreezingCollector()
    collector.install()
    sweeps = asyncio.create_task(collector.sweep_forever(), name="gc-sweep")
    if not holding.done():
        gate.serving = True
        await serving.set(True)
        log.info("offer-master serving as the leader")
        await _first(holding, stopping)
    if holding.done():
        # Stop serving before anything else: this master's view may be stale.
        gate.serving = False
        await serving.drain()
        log.warning("offer-master stops serving: %s", holding.result())
        await lag.stop()
        await server.stop(grace=0)
        return LOST_LEAD_EXIT
    log.info("offer-master shutting down")
    await serving.drain()
    holding.cancel()
    # Stop the master first so its streams close and the grace period is short.
    sweeps.cancel()
    collector.uninstall()
    await master.stop()
    await leadership.resign()
    await http.stop()
    await lag.stop()
    await server.stop(grace=2)
    return 0


def default_advertise(host: str, port: int) -> str:
    """HOST:PORT others reach this master at when --advertise is not given:
    --host:--port, or for an unspecified --host (0.0.0.0, ::) this host's
    address on the default route, else its hostname."""
    if host not in _ANY_HOST:
        return host_port(host, port)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((_ROUTE_PROBES[family], 9))
            return host_port(str(probe.getsockname()[0]), port)
    except OSError:
        return host_port(socket.gethostname(), port)


async def _first(work: asyncio.Task[object], stopping: asyncio.Event) -> bool:
    """Waits for `work` or `stopping`: True when `work` ended first (its
    exception raised here)."""
    stop = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if work.done():
        work.result()
        return True
    return False
