"""The agent's advertised address: where other hosts reach this host's tasks.

Published ports bind to it, health checks dial it, and the master hands it
to frameworks (offers, links). It is always an IP literal: a hostname is
something no container on another host may resolve.

Without `--advertise-address` it is worked out once, at start:

- an engine over TCP (DOCKER_HOST=tcp://H:PORT) publishes ports on its own
  host, H, so it is H's address;
- otherwise the engine is on this host, and the address is the one this
  host's traffic to the master leaves from (the source address the kernel
  picks for the route to it): loopback when the master is on loopback, so
  that a cluster on one machine stays on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

# DOCKER_HOST schemes that name an engine reached over TCP (docker-py reads
# http and https as tcp).
_TCP_SCHEMES = ("tcp", "http", "https")
# Any port will do: connecting a UDP socket sends nothing, it only picks a route.
_ANY_PORT = 9


class AddressError(ValueError):
    """No address could be worked out; the message says what to give instead."""


def parse_address(text: str) -> str:
    """`text` as an advertised address (normalized, e.g. "::1"), or
    AddressError: an IPv4 or IPv6 literal that other hosts could reach."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        raise AddressError(
            f"--advertise-address must be an IP address this host owns, e.g. 10.0.0.5; got {text!r}"
        ) from None
    # A zone (fe80::1%eth0) names one of this host's interfaces, useless elsewhere.
    if ip.is_unspecified or ip.is_multicast or "%" in str(ip):
        raise AddressError(
            f"--advertise-address must be one address other hosts reach this host at, "
            f"e.g. 10.0.0.5; got {text!r} (unspecified, multicast or with a zone)"
        )
    return str(ip)


def default_address(master: str, docker_host: str | None) -> str:
    """The address to advertise when none is given: the TCP engine's host's,
    or this host's source address on the route to `master` (HOST:PORT).
    Raises AddressError when neither can be found."""
    engine = engine_host(docker_host)
    if engine is not None:
        return resolve(engine, "the Docker engine's host (DOCKER_HOST)")
    return route_source(master_host(master))


def engine_host(docker_host: str | None) -> str | None:
    """The host of a TCP engine named by DOCKER_HOST ("tcp://H:PORT" -> "H"),
    or None for a local engine (unset, unix://, npipe://) or one over ssh,
    whose published ports are not on a host this URL names plainly."""
    if not docker_host:
        return None
    url = urlsplit(docker_host)
    if url.scheme not in _TCP_SCHEMES or not url.hostname:
        return None
    return url.hostname


def master_host(master: str) -> str:
    """The host part of a master address: "10.0.0.5:5050" -> "10.0.0.5",
    "[::1]:5050" -> "::1", "dns:///m1:5050" -> "m1"."""
    target = master.removeprefix("dns:///").removeprefix("dns:")
    if target.startswith("["):
        host, _, _ = target[1:].partition("]")
        return host
    host, _, _ = target.rpartition(":")
    return host or target


def resolve(host: str, what: str) -> str:
    """`host`'s first address (an IP literal as it is). Raises AddressError."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as err:
        raise AddressError(
            f"cannot resolve {what} {host!r} ({err}): give --advertise-address"
        ) from None
    return parse_address(str(found[0][4][0]).split("%")[0])


def route_source(host: str) -> str:
    """The local address this host's packets to `host` leave from, as the
    kernel's routing picks it (no packet is sent). Raises AddressError."""
    target = resolve(host, "the master's host")
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((target, _ANY_PORT))
        except OSError as err:
            raise AddressError(
                f"no route from this host to the master at {target} ({err}): give "
                "--advertise-address"
            ) from None
        return parse_address(str(probe.getsockname()[0]))
