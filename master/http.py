"""The master's HTTP port: /metrics and /health (offer/http) and the web UI."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry

from master.core import Master
from master.logs import LogRelay
from master.servicers.operator import OperatorServicer
from offer.http.server import HttpServer
from offer.security.server import ServerSecurity


def master_http(
    host: str,
    port: int,
    registry: CollectorRegistry,
    healthy: Callable[[], bool],
    master: Master,
    operator: OperatorServicer,
    logs: LogRelay,
    security: ServerSecurity,
) -> HttpServer:
    """The master's HTTP server, not started yet."""
    del master, operator, logs, security  # the web UI's, next
    return HttpServer(host, port, registry, healthy, "offer-master")
