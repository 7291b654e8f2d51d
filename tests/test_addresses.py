"""HOST:PORT for gRPC, IPv6 literals included, and a master listening on
one (it could not: '::1:5050' reads as another address)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from offer.addresses import host_port
from tests.support.cluster import free_port, wait_for


def test_host_port() -> None:
    assert host_port("127.0.0.1", 5050) == "127.0.0.1:5050"
    assert host_port("::1", 5050) == "[::1]:5050"
    assert host_port("[::1]", 5050) == "[::1]:5050"
    assert host_port("master.example", 5050) == "master.example:5050"


def test_a_master_on_ipv6_loopback_answers(tmp_path: Path) -> None:
    port = free_port()
    master = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "master.cli",
            "--host",
            "::1",
            "--port",
            str(port),
            "--db",
            f"sqlite:///{tmp_path / 'master.db'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def status() -> str:
            done = subprocess.run(
                [sys.executable, "-m", "offer.ctl.cli", "--master", f"[::1]:{port}", "status"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            return done.stdout if done.returncode == 0 else ""

        assert f"[::1]:{port}" in wait_for(status, 20, "the master on [::1]")
    finally:
        master.terminate()
        master.wait(10)
