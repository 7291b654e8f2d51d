"""The master's HTTP port: /metrics and /health (offer/http) and the web UI
(master/ui), over HTTPS when the master has a TLS certificate."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry

from master.servicers.operator import OperatorServicer
from master.ui import UiConfig, add_ui, server_ssl_context
from offer.http.server import HttpServer
from offer.security.server import ServerSecurity


def master_http(
    host: str,
    port: int,
    registry: CollectorRegistry,
    healthy: Callable[[], bool],
    operator: OperatorServicer,
    security: ServerSecurity,
    ui: UiConfig | None = None,
) -> HttpServer:
    """The master's HTTP server, not started yet.

    The web UI reads the cluster through `operator` only: the answers
    offerctl gets. With --tls-cert/--tls-key the port serves HTTPS with the same certificate, so
    that the UI's Basic credentials never cross the network in clear."""
    tls = None
    if security.tls_cert is not None and security.tls_key is not None:
        tls = server_ssl_context(security.tls_cert, security.tls_key)
    http = HttpServer(
        host,
        port,
        registry,
        healthy,
        "offer-master",
        ssl_context=tls,
        serves="the web UI at /, /metrics, /health",
    )
    add_ui(http.app, operator, security.credentials, ui or UiConfig())
    return http
