"""A port or a state file has one daemon at a time, and the refusal says who
holds it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from offer.exclusive import InUseError, listen, lock_state_file
from offer.grpc_options import SERVER_OPTIONS


async def test_a_taken_port_is_refused_naming_its_holder() -> None:
    first = grpc.aio.server(options=SERVER_OPTIONS)
    port = listen(first, "127.0.0.1", 0)
    await first.start()
    try:
        second = grpc.aio.server(options=SERVER_OPTIONS)
        with pytest.raises(InUseError) as refused:
            listen(second, "127.0.0.1", port)
        message = str(refused.value)
        assert f"cannot listen on 127.0.0.1:{port}" in message
        assert f"pid {os.getpid()} (" in message and "--port" in message
    finally:
        await first.stop(None)


def test_a_state_file_in_use_is_refused_naming_its_holder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state' / 'master.db'}"
    # Held by another process, as a running daemon would.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from offer.exclusive import lock_state_file; "
            f"lock = lock_state_file({url!r}); print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(InUseError) as refused:
            lock_state_file(url)
        message = str(refused.value)
        assert f"{tmp_path / 'state' / 'master.db'} is in use by pid {holder.pid}" in message
        assert "--db" in message
    finally:
        holder.kill()
        holder.wait()
    lock = lock_state_file(url)  # free again once its holder is gone
    assert lock is not None
    lock.release()


def test_only_sqlite_files_are_locked() -> None:
    assert lock_state_file("sqlite:///:memory:") is None
    assert lock_state_file("postgresql+psycopg://db/offer") is None
