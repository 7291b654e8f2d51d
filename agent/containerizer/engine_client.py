"""The agent's Docker SDK client, tuned for many small calls to a local engine.

Two of docker-py's defaults cost CPU on every call to an engine on a unix
socket, on the machine that is busy starting the containers:

- Its unix adapter keeps one connection pool per URL, and every container
  has URLs of its own (`/containers/<id>/start`), so each start, kill or
  removal would open a new connection to the engine (and a new pool).
- requests reads the proxy variables and looks for ~/.netrc before every
  call; neither means anything on a unix socket.

This client keeps one pool for the engine and skips both lookups
(bench/profiling.md, note 22).
"""

from __future__ import annotations

from typing import Any

import docker
from docker.transport.unixconn import UnixHTTPAdapter

# What docker-py names an engine on a unix socket in its URLs.
_ENGINE_URL = "http+docker://localhost"
# Any version: replaced by the engine's before the first call.
_PROVISIONAL = "1.24"
# Connections kept for streams (events, followed logs) beyond the calls.
STREAMS = 16


class _OnePoolAdapter(UnixHTTPAdapter):
    """One pool for the engine, whatever the URL's path."""

    def get_connection(self, url: str, proxies: Any = None) -> Any:
        return super().get_connection(_ENGINE_URL, proxies)


def engine_client(calls: int) -> docker.DockerClient:
    """A client for the engine that DOCKER_HOST (or the default socket) names,
    keeping a connection for each of `calls` at once and a few streams. More
    at once still run; their extra connections are closed afterwards."""
    # The API version is asked for once the client is tuned: asked while it
    # is made, the question would go out with requests' defaults.
    client = tuned(docker.from_env(max_pool_size=calls + STREAMS, version=_PROVISIONAL))
    client.api._version = client.api._retrieve_server_version()
    return client


def is_local(client: docker.DockerClient) -> bool:
    """The engine is on this host (a unix socket), not reached over TCP or SSH."""
    return str(client.api.base_url) == _ENGINE_URL


def tuned(client: docker.DockerClient) -> docker.DockerClient:
    """Gives a client on a unix socket one connection pool and no proxy
    lookups; a client of an engine over TLS verifies with its own CA only."""
    api = client.api
    adapter: Any = api.get_adapter(_ENGINE_URL) if is_local(client) else None
    if type(adapter) is UnixHTTPAdapter:
        one_pool = _OnePoolAdapter(
            f"http+unix://{adapter.socket_path}",
            adapter.timeout,
            max_pool_size=adapter.max_pool_size,
        )
        api.mount("http+docker://", one_pool)
        adapter.close()
        api.trust_env = False
    elif isinstance(api.verify, str):
        # TLS verified with DOCKER_CERT_PATH's ca.pem: requests would put
        # REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, where set, in its place
        # (psf/requests#3829), and the engine's own CA is in neither.
        api.trust_env = False
    return client
