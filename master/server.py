"""Assembles and runs the master: state store, core and gRPC services."""

from __future__ import annotations

import asyncio
import logging
import signal

import grpc

from master.collector import FreezingCollector
from master.core import Master, MasterConfig
from master.logs import LogRelay
from master.servicers.agent import AgentServicer
from master.servicers.operator import OperatorServicer
from master.servicers.scheduler import SchedulerServicer
from master.store import StateStore
from offer.addresses import host_port
from offer.clock import Clock, SystemClock
from offer.grpc_options import SERVER_OPTIONS
from offer.security.server import ServerSecurity
from offer.v1 import agent_pb2_grpc, operator_pb2_grpc, scheduler_pb2_grpc

log = logging.getLogger(__name__)


# Framework and operator calls are rate-limited per principal; agents are
# the cluster's own machines and their stream carries every task's updates.
RATE_LIMITED = frozenset({"offer.v1.Scheduler", "offer.v1.Operator"})


async def run_master(
    host: str,
    port: int,
    db_url: str,
    config: MasterConfig,
    security: ServerSecurity | None = None,
    clock: Clock | None = None,
) -> None:
    """Serves until SIGTERM or SIGINT, then shuts down gracefully."""
    security = security or ServerSecurity()
    master = Master(StateStore(db_url), config, clock or SystemClock())
    await master.start()
    collector = FreezingCollector()
    collector.install()
    sweeps = asyncio.create_task(collector.sweep_forever(), name="gc-sweep")
    server = grpc.aio.server(options=SERVER_OPTIONS, interceptors=security.interceptors())
    logs = LogRelay(master)
    scheduler_pb2_grpc.add_SchedulerServicer_to_server(SchedulerServicer(master), server)
    agent_pb2_grpc.add_AgentServicer_to_server(AgentServicer(master, logs), server)
    operator = OperatorServicer(master, logs)
    operator_pb2_grpc.add_OperatorServicer_to_server(operator, server)
    bound = security.bind(server, host, port)
    operator.address = host_port(host, bound)
    await server.start()
    log.info("offer-master listening on %s, state in %s", host_port(host, bound), db_url)
    log.info("security: %s", security.describe())

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    log.info("offer-master shutting down")
    # Stop the master first so its streams close and the grace period is short.
    sweeps.cancel()
    collector.uninstall()
    await master.stop()
    await server.stop(grace=2)
