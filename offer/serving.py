"""grpc.health.v1 and server reflection on a gRPC server.

Load balancers, Kubernetes' gRPC probes and grpc_health_probe ask
`grpc.health.v1.Health`; grpcurl and grpcui discover the services through
reflection. Both answer without credentials and on a standby master (they
say what the server is, never what the cluster holds).
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

# Services answered by every server, whatever its state or the caller.
OPEN_SERVICES = frozenset(
    {health.SERVICE_NAME, reflection.SERVICE_NAME, "grpc.reflection.v1.ServerReflection"}
)


def is_open(method: str) -> bool:
    """Whether a full method name ("/pkg.Service/Method") belongs to an open service."""
    return method.lstrip("/").rsplit("/", 1)[0] in OPEN_SERVICES


class Serving:
    """The health of one server's services, overall ("") and per service.

    NOT_SERVING until `set(True)`: while the state loads, a standby waits
    for the lead, or the server drains on its way out."""

    def __init__(self, services: Sequence[str]) -> None:
        self.services = tuple(services)
        self.serving = False
        self._health = health.aio.HealthServicer()

    def add_to(self, server: grpc.aio.Server) -> None:
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection(
            (*self.services, health.SERVICE_NAME, reflection.SERVICE_NAME), server
        )

    async def set(self, serving: bool) -> None:
        self.serving = serving
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *self.services):
            await self._health.set(name, status)

    async def drain(self) -> None:
        """NOT_SERVING for good: the server is on its way out."""
        self.serving = False
        await self._health.enter_graceful_shutdown()
