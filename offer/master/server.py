"""Assembles and runs the master: state store, core and gRPC services."""

from __future__ import annotations

import asyncio
import logging
import signal

import grpc

from offer.grpc_options import SERVER_OPTIONS
from offer.master.core import Master, MasterConfig
from offer.master.logs import LogRelay
from offer.master.servicers.agent import AgentServicer
from offer.master.servicers.operator import OperatorServicer
from offer.master.servicers.scheduler import SchedulerServicer
from offer.master.store import StateStore
from offer.v1 import agent_pb2_grpc, operator_pb2_grpc, scheduler_pb2_grpc

log = logging.getLogger(__name__)


async def run_master(host: str, port: int, db_url: str, config: MasterConfig) -> None:
    """Serves until SIGTERM or SIGINT, then shuts down gracefully."""
    master = Master(StateStore(db_url), config)
    await master.start()
    server = grpc.aio.server(options=SERVER_OPTIONS)
    logs = LogRelay(master)
    scheduler_pb2_grpc.add_SchedulerServicer_to_server(SchedulerServicer(master), server)
    agent_pb2_grpc.add_AgentServicer_to_server(AgentServicer(master, logs), server)
    operator = OperatorServicer(master, logs)
    operator_pb2_grpc.add_OperatorServicer_to_server(operator, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen on {host}:{port} (is another master running there?)")
    operator.address = f"{host}:{bound}"
    await server.start()
    log.info("offer-master listening on %s:%d, state in %s", host, bound, db_url)

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    log.info("offer-master shutting down")
    # Stop the master first so its streams close and the grace period is short.
    await master.stop()
    await server.stop(grace=2)
