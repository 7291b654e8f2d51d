"""What a daemon must hold alone: its port and its state file.

gRPC's Python server sets SO_REUSEPORT unless told not to, and then a second
server on a taken port starts as if nothing were wrong: the kernel splits
the clients between two daemons with two different states. Every server
here is made with `offer.grpc_options.SERVER_OPTIONS` (which turns it off)
and binds through `listen`, which says who holds a taken port. A SQLite
state file is locked (flock) by the daemon using it, so that a second one
on the same file refuses instead of writing beside the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path
from typing import IO

import grpc
import psutil

from offer.addresses import host_port

__all__ = ["InUseError", "Lock", "check_port_free", "listen", "lock_file", "lock_state_file"]


class InUseError(OSError):
    """A port or a state file another process holds; the message names it."""


def listen(
    server: grpc.aio.Server,
    host: str,
    port: int,
    credentials: grpc.ServerCredentials | None = None,
    *,
    flag: str = "--port",
) -> int:
    """Binds `server` to host:port (TLS with `credentials`); returns the port
    bound. Raises InUseError naming what holds the port."""
    address = host_port(host, port)
    try:
        bound = (
            server.add_insecure_port(address)
            if credentials is None
            else server.add_secure_port(address, credentials)
        )
    except RuntimeError:
        bound = 0
    if bound == 0:
        raise InUseError(
            f"cannot listen on {address}: {_port_holder(port)}; stop it or choose another {flag}"
        )
    return int(bound)


def check_port_free(host: str, port: int, *, flag: str = "--port") -> None:
    """Raises InUseError if host:port is taken, before a daemon opens its
    state or starts anything: a second copy then exits at once, having
    touched nothing. (`listen` still guards the real bind: a port can be
    taken in between.) Port 0 and unresolvable hosts are left to `listen`."""
    if port == 0:
        return
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            # As gRPC binds: a port in TIME_WAIT is free to take.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError:
                raise InUseError(
                    f"cannot listen on {host_port(host, port)}: {_port_holder(port)}; "
                    f"stop it or choose another {flag}"
                ) from None


def _port_holder(port: int) -> str:
    try:
        listening = [
            c
            for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
        ]
    except psutil.Error:
        listening = []
    pids = sorted({c.pid for c in listening if c.pid})
    if pids:
        return "the port is held by " + ", ".join(_process(pid) for pid in pids)
    if listening:
        return "the port is held by another process"
    return "the port is taken, or the address is not one of this machine's"


def _process(pid: int) -> str:
    try:
        proc = psutil.Process(pid)
        words = proc.cmdline() or [proc.name()]
    except psutil.Error:
        return f"pid {pid}"
    command = " ".join(Path(words[0]).name if i == 0 else w for i, w in enumerate(words))
    if len(command) > 120:
        command = command[:117] + "..."
    return f"pid {pid} ({command})"


class Lock:
    """An exclusive lock on a file, held until `release()`, exit, or
    until this object is garbage: keep a reference while the daemon runs."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self.path, self._handle = path, handle

    def release(self) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


def lock_state_file(db_url: str, *, flag: str = "--db") -> Lock | None:
    """Locks the SQLite file `db_url` names (creating it if new), so that a
    second daemon on it refuses with InUseError; None for other databases
    (a server database has its own guards) and for in-memory ones.

    flock, not fcntl's record locks: SQLite takes record locks on the same
    file, and the two kinds do not see each other on Linux, so this lock
    never stands in SQLite's way."""
    if not db_url.startswith("sqlite:///") or db_url == "sqlite:///:memory:":
        return None
    path = Path(db_url.removeprefix("sqlite:///").split("?", 1)[0])
    return lock_file(path, f"state database {path}", flag)


def lock_file(path: Path, what: str, flag: str) -> Lock:
    """Locks `path` (creating it and its folder if new) for this process;
    raises InUseError naming `what`, the process holding it and `flag`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        holder = _lock_holder(path)
        raise InUseError(
            f"{what} is in use{' by ' + holder if holder else ''}; "
            f"stop that daemon or give another {flag}"
        ) from None
    return Lock(path, handle)


def _lock_holder(path: Path) -> str:
    """The process holding a flock on `path`, from /proc/locks (Linux)."""
    try:
        inode = os.stat(path).st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return ""
    for line in lines:
        fields = line.split()
        # "1: FLOCK ADVISORY WRITE 1234 08:01:5678 0 EOF": pid, then dev:inode.
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].endswith(f":{inode}"):
            return _process(int(fields[4]))
    return ""
