"""The HTTP port every daemon serves beside its gRPC one (aiohttp).

`/metrics` is the daemon's Prometheus registry in the text format and
`/health` answers 200 while the daemon serves, 503 otherwise (a plain HTTP
check for load balancers that speak no gRPC). The master adds its web UI's
routes to the same application before it starts.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from offer.addresses import host_port

log = logging.getLogger(__name__)


class HttpServer:
    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        healthy: Callable[[], bool],
        name: str,
        ssl_context: ssl.SSLContext | None = None,
        serves: str = "/metrics, /health",
    ) -> None:
        self.host = host
        self.port = port
        self.registry = registry
        self._healthy = healthy
        self._name = name
        self._ssl = ssl_context
        # What the start-up line says is there.
        self._serves = serves
        self.app = web.Application()
        self.app.router.add_get("/metrics", self._metrics)
        self.app.router.add_get("/health", self._health)
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Listens; returns the HOST:PORT it listens on (port 0: any free one)."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, self.host, self.port, ssl_context=self._ssl, reuse_address=True
        )
        await site.start()
        self.port = self._runner.addresses[0][1]
        address = host_port(self.host, self.port)
        scheme = "https" if self._ssl is not None else "http"
        log.info("%s HTTP (%s) on %s://%s", self._name, self._serves, scheme, address)
        return address

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, _request: web.Request) -> web.Response:
        # Collected on the event loop: the collectors read the daemon's
        # in-memory state, which only the loop changes.
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _health(self, _request: web.Request) -> web.Response:
        if self._healthy():
            return web.Response(text="SERVING\n")
        return web.Response(status=503, text="NOT_SERVING\n")
