"""The agent's advertised address: the flag's checks and the default (the TCP
engine's host, else this host's source address toward the master), on this
host's real resolver and routing table."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from agent.address import (
    AddressError,
    default_address,
    engine_host,
    master_host,
    parse_address,
    route_source,
)


def _own_addresses(family: socket.AddressFamily) -> list[str]:
    """This host's non-loopback, non-link-local addresses of one family."""
    found = []
    for addresses in psutil.net_if_addrs().values():
        for a in addresses:
            loopback = a.address == "::1" or a.address.startswith("127.")
            if a.family == family and "%" not in a.address and not loopback:
                found.append(a.address)
    return found


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("10.0.0.5", "10.0.0.5"), (" 127.0.0.2 ", "127.0.0.2"), ("2001:DB8::0:7", "2001:db8::7")],
)
def test_an_ip_literal_is_taken_normalized(text: str, parsed: str) -> None:
    assert parse_address(text) == parsed


@pytest.mark.parametrize("text", ["foo", "host1.example", "10.0.0.5:80", "[::1]", "", "10.0.0"])
def test_anything_but_an_ip_literal_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(AddressError) as refused:
        parse_address(text)
    assert str(refused.value) == (
        f"--advertise-address must be an IP address this host owns, e.g. 10.0.0.5; got {text!r}"
    )


@pytest.mark.parametrize("text", ["0.0.0.0", "::", "239.1.1.1", "fe80::1%eth0"])
def test_addresses_no_other_host_can_use_are_refused(text: str) -> None:
    with pytest.raises(AddressError, match="one address other hosts reach this host at"):
        parse_address(text)


@pytest.mark.parametrize(
    ("docker_host", "host"),
    [
        (None, None),
        ("", None),
        ("unix:///var/run/docker.sock", None),
        ("ssh://ops@engine1", None),
        ("tcp://10.0.0.9:2376", "10.0.0.9"),
        ("tcp://engine1:2375", "engine1"),
        ("tcp://[fd00::9]:2376", "fd00::9"),
        ("https://10.0.0.9:2376", "10.0.0.9"),
    ],
)
def test_only_an_engine_over_tcp_names_a_host(docker_host: str | None, host: str | None) -> None:
    assert engine_host(docker_host) == host


@pytest.mark.parametrize(
    ("master", "host"),
    [
        ("10.0.0.5:5050", "10.0.0.5"),
        ("[fd00::5]:5050", "fd00::5"),
        ("master1:5050", "master1"),
        ("dns:///master1:5050", "master1"),
    ],
)
def test_the_masters_host(master: str, host: str) -> None:
    assert master_host(master) == host


def test_a_master_on_loopback_means_loopback_so_one_host_is_unchanged() -> None:
    assert default_address("127.0.0.1:5050", None) == "127.0.0.1"
    assert default_address("localhost:5050", "unix:///var/run/docker.sock") in ("127.0.0.1", "::1")


def test_the_route_to_a_master_on_another_address_leaves_from_that_address() -> None:
    """Toward a master on one of this host's own addresses the kernel picks
    that address as the source: the one other hosts on that network reach."""
    own = _own_addresses(socket.AF_INET)
    if not own:
        pytest.skip("this host has no IPv4 address besides loopback")
    sources = {address: route_source(address) for address in own}
    defaults = {address: default_address(f"{address}:5050", None) for address in own}
    # Only addresses still there: other tests make and remove interfaces.
    kept = set(own) & set(_own_addresses(socket.AF_INET))
    assert kept
    assert {a: sources[a] for a in kept} == {a: a for a in kept}
    assert {a: defaults[a] for a in kept} == {a: a for a in kept}


def test_the_route_to_an_ipv6_master() -> None:
    try:
        assert default_address("[::1]:5050", None) == "::1"
    except AddressError:
        pytest.skip("no IPv6 loopback here")


def test_a_tcp_engine_is_reached_on_its_own_host_whatever_the_masters() -> None:
    """The engine publishes ports on its host: that is the address, resolved."""
    assert default_address("127.0.0.1:5050", "tcp://127.0.0.3:2375") == "127.0.0.3"
    assert default_address("127.0.0.1:5050", "tcp://localhost:2376") in ("127.0.0.1", "::1")


def test_a_name_that_does_not_resolve_says_to_give_the_flag() -> None:
    with pytest.raises(AddressError) as engine:
        default_address("127.0.0.1:5050", "tcp://no-such-engine.invalid:2375")
    assert "cannot resolve the Docker engine's host (DOCKER_HOST)" in str(engine.value)
    assert "give --advertise-address" in str(engine.value)
    with pytest.raises(AddressError) as master:
        default_address("no-such-master.invalid:5050", None)
    assert "cannot resolve the master's host 'no-such-master.invalid'" in str(master.value)


def _agent_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("foo", "--advertise-address must be an IP address this host owns, e.g. 10.0.0.5; "),
        ("10.0.0.5:80", "got '10.0.0.5:80'"),
        ("0.0.0.0", "one address other hosts reach this host at"),
    ],
)
def test_the_cli_refuses_a_bad_address_before_anything_starts(value: str, message: str) -> None:
    done = _agent_cli("--master", "127.0.0.1:1", "--advertise-address", value)
    assert done.returncode == 2
    assert "argument --advertise-address" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr


def test_the_cli_refuses_a_default_it_cannot_work_out(tmp_path: Path) -> None:
    work_dir = tmp_path / "agent"
    done = _agent_cli("--master", "no-such-master.invalid:5050", "--work-dir", str(work_dir))
    assert done.returncode == 2
    assert "cannot resolve the master's host" in done.stderr
    assert "give --advertise-address" in done.stderr
    assert not work_dir.exists()


def test_help_explains_the_flag_and_its_default() -> None:
    done = _agent_cli("--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "--advertise-address IP" in text
    assert "route to the master" in text and "DOCKER_HOST" in text
    assert "--advertise-address 10.0.0.7" in text
