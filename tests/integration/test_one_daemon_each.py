"""One daemon per port and per state database: a second copy exits at once
with one line naming the port or the database and the process holding it,
and the first carries on undisturbed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.cluster import Cluster, free_port


def _second(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=30)


def _replace(args: list[str], flag: str, value: str) -> list[str]:
    at = args.index(flag)
    return [*args[: at + 1], value, *args[at + 2 :]]


def test_a_second_master_on_a_taken_port_or_database_exits(cluster: Cluster) -> None:
    first = cluster.start_master()
    args = ["master.cli", "--port", str(cluster.port), "--db", cluster.db_url]

    other_db = f"sqlite:///{cluster.root / 'other.db'}"
    same_port = _second(_replace(args, "--db", other_db))
    said = same_port.stderr.strip()
    assert same_port.returncode == 1, said
    assert said.startswith(
        f"offer-master: cannot listen on 127.0.0.1:{cluster.port}: the port is held by "
        f"pid {first.popen.pid} ("
    ), said
    assert said.endswith("stop it or choose another --port") and "\n" not in said
    assert not (cluster.root / "other.db").exists()  # it touched nothing

    same_db = _second(_replace(args, "--port", str(free_port())))
    said = same_db.stderr.strip()
    assert same_db.returncode == 1, said
    assert said == (
        f"offer-master: state database {cluster.root / 'master.db'} is in use by "
        f"pid {first.popen.pid} ({said.split(' (', 1)[1].split(')')[0]}); "
        "stop that daemon or give another --db"
    )
    # Clients still reach the one master, with its state.
    assert cluster.list("agents") == []


@pytest.mark.parametrize("kind", ["service", "batch"])
def test_a_second_framework_on_a_taken_port_or_database_exits(cluster: Cluster, kind: str) -> None:
    cluster.start_master()
    first = cluster.start_service() if kind == "service" else cluster.start_batch()
    args = cluster._framework_args[kind]
    port = cluster.framework_addresses[kind].rsplit(":", 1)[1]

    other_db = f"sqlite:///{cluster.root / f'other-{kind}.db'}"
    same_port = _second(_replace(args, "--db", other_db))
    said = same_port.stderr.strip()
    assert same_port.returncode == 1, said
    assert said.startswith(
        f"offer-{kind}: cannot listen on 127.0.0.1:{port}: the port is held by "
        f"pid {first.popen.pid} ("
    ), said
    assert said.endswith("stop it or choose another --port") and "\n" not in said

    same_db = _second(_replace(args, "--port", str(free_port())))
    said = same_db.stderr.strip()
    assert same_db.returncode == 1, said
    assert said.startswith(
        f"offer-{kind}: state database {cluster.root / f'{kind}.db'} is in use by "
        f"pid {first.popen.pid} ("
    ), said
    assert said.endswith("stop that daemon or give another --db")

    # The first still answers, and is the only framework of its kind.
    listing = cluster.app("list") if kind == "service" else cluster.job("list")
    assert listing.returncode == 0, listing.stderr
    assert [f.info.name for f in cluster.list("frameworks")] == [f"offer-{kind}"]
