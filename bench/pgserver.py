"""A PostgreSQL server of its own, for the tests and the benchmarks: Debian's
`postgresql` binaries, a cluster made with initdb in a temp folder,
listening on loopback only, a fresh database per test or benchmark, stopped
and removed at the end. The tests' server skips fsync; the benchmarks' is
durable, as a production one is."""

from __future__ import annotations

import contextlib
import ctypes
import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

_names = itertools.count()
# prctl(2): the signal a process gets when its parent ends.
_PR_SET_PDEATHSIG = 1
# How long a new server may take to accept connections.
START_TIMEOUT = 30.0


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def major_version() -> str:
    """The installed server's major version ("15"), or "?"."""
    found = _bin_dir()
    return found.parent.name if found is not None else "?"


def postgres_problem() -> str:
    """Why no PostgreSQL server can run here, or ""."""
    if _bin_dir() is None:
        return "PostgreSQL is not installed (apt-get install postgresql; `make engine` does)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgresql]')"
    return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """`durable`: every commit flushed to disk (fsync, synchronous commit,
    full page writes), PostgreSQL's defaults; else none of that, for tests."""

    def __init__(self, durable: bool = False) -> None:
        self.durable = durable
        bin_dir = _bin_dir()
        assert bin_dir is not None, postgres_problem()
        self.bin = bin_dir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="opg-"))
        self.data = self.root / "data"
        # initdb refuses to run as root: the server then runs as `postgres`.
        self._user = "postgres" if os.geteuid() == 0 else ""
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *argv: str) -> None:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        """initdb, then the server as a child of this process that dies with
        it: a test worker killed by a timeout or kill -9 leaves no server
        behind (pg_ctl's server outlived its starter, adopted by init)."""
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = ["-c", "listen_addresses=127.0.0.1", "-c", f"port={self.port}"]
        options += ["-k", str(self.root), "-c", "max_connections=200"]
        if not self.durable:
            # Tests need no durability across a machine crash.
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
            options += ["-c", "full_page_writes=off"]
        with (self.root / "log").open("ab") as log:
            self._server = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(self.data), *options],
                stdout=log,
                stderr=subprocess.STDOUT,
                user=self._user or None,
                # After the switch of user, which would clear it.
                preexec_fn=_die_with_parent,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        ready = [str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        deadline = time.monotonic() + START_TIMEOUT
        while self._server.poll() is None and time.monotonic() < deadline:
            if subprocess.run(ready, check=False).returncode == 0:
                return
            time.sleep(0.05)
        log = (self.root / "log").read_text(errors="replace")
        self.stop()
        raise RuntimeError(f"postgres did not start:\n{log}")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a database of its own, for one test or benchmark."""
        import psycopg

        name = f"t{os.getpid()}_{next(_names)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        server = getattr(self, "_server", None)
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGQUIT)  # PostgreSQL's immediate shutdown
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def _die_with_parent() -> None:
    """In the server's process before exec: SIGQUIT (an immediate shutdown)
    when the process that started it ends, however it ends."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


@contextlib.contextmanager
def databases(kind: str) -> Iterator[Callable[[str], str]]:
    """For the benchmarks: a function giving the URL of a new database of
    `kind` ("sqlite": a file in a temp folder; "postgresql": a database on
    a durable server of its own), each name once; all removed at the end."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="offer-bench-") as tmp:
            yield lambda name: f"sqlite:///{Path(tmp) / f'{name}.db'}"
        return
    if kind != "postgresql":
        raise ValueError(f"no such database kind {kind!r}")
    if problem := postgres_problem():
        raise RuntimeError(f"PostgreSQL benchmarks: {problem}")
    server = PostgresServer(durable=True)
    server.start()
    try:
        yield lambda _name: server.new_database()
    finally:
        server.stop()
