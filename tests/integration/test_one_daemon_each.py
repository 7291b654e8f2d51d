"""One daemon per port and per state database: a second copy exits at once
with one line naming the port or the database and the process holding it,
and the first carries on undisturbed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.cluster import Cluster, free_port

PORT_HINT = "stop it or choose another --port"
DB_HINT = "stop that daemon or give another --db"


def _refused(
    args: list[str], flag: str, value: str, prog: str, what: str, holder: int, then: str
) -> None:
    """Runs a second copy with `flag` changed to `value`: it must exit 1 at
    once with one line, `PROG: WHAT ... pid HOLDER (its command line); THEN`."""
    at = args.index(flag)
    second = subprocess.run(
        [sys.executable, "-m", *args[: at + 1], value, *args[at + 2 :]],
        capture_output=True,
        text=True,
        timeout=30,
    )
    said = second.stderr.strip()
    assert second.returncode == 1, said
    assert said.startswith(f"{prog}: {what} pid {holder} ("), said
    assert said.endswith(f"); {then}") and "\n" not in said, said


def test_a_second_master_on_a_taken_port_or_database_exits(cluster: Cluster) -> None:
    first = cluster.start_master()
    args = ["master.cli", "--port", str(cluster.port), "--db", cluster.db_url]

    pid = first.popen.pid
    port_taken = f"cannot listen on 127.0.0.1:{cluster.port}: the port is held by"
    other_db = f"sqlite:///{cluster.root / 'other.db'}"
    _refused(args, "--db", other_db, "offer-master", port_taken, pid, PORT_HINT)
    assert not (cluster.root / "other.db").exists()  # it touched nothing
    db_taken = f"state database {cluster.root / 'master.db'} is in use by"
    _refused(args, "--port", str(free_port()), "offer-master", db_taken, pid, DB_HINT)
    # Clients still reach the one master, with its state.
    assert cluster.list("agents") == []


@pytest.mark.parametrize("kind", ["service", "batch"])
def test_a_second_framework_on_a_taken_port_or_database_exits(cluster: Cluster, kind: str) -> None:
    cluster.start_master()
    first = cluster.start_service() if kind == "service" else cluster.start_batch()
    args = cluster._framework_args[kind]
    port = cluster.framework_addresses[kind].rsplit(":", 1)[1]

    pid, prog = first.popen.pid, f"offer-{kind}"
    port_taken = f"cannot listen on 127.0.0.1:{port}: the port is held by"
    other_db = f"sqlite:///{cluster.root / f'other-{kind}.db'}"
    _refused(args, "--db", other_db, prog, port_taken, pid, PORT_HINT)
    db_taken = f"state database {cluster.root / f'{kind}.db'} is in use by"
    _refused(args, "--port", str(free_port()), prog, db_taken, pid, DB_HINT)

    # The first still answers, and is the only framework of its kind.
    listing = cluster.app("list") if kind == "service" else cluster.job("list")
    assert listing.returncode == 0, listing.stderr
    assert [f.info.name for f in cluster.list("frameworks")] == [f"offer-{kind}"]
