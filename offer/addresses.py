"""HOST:PORT as gRPC and every client read it: an IPv6 literal in brackets
("[::1]:5050"), since its own colons would otherwise run into the port's."""

from __future__ import annotations


def host_port(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        return f"[{host}]:{port}"
    return f"{host}:{port}"
