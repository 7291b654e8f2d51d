"""A real master process for the benchmarks: started from this checkout,
watched through psutil, and asked through its Operator API whether it serves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import psutil

from offer.v1 import operator_pb2, operator_pb2_grpc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(address: str, timeout: float = 1.0) -> bool:
    """True once the master at `address` answers an Operator call."""
    with grpc.insecure_channel(address) as channel:
        try:
            operator_pb2_grpc.OperatorStub(channel).ListFrameworks(
                operator_pb2.ListFrameworksRequest(), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return True


def _other_checkout() -> str:
    """BENCH_MASTER_PYTHONPATH runs the master from another checkout (say,
    the commit before a fix) under the same harness, for before/after figures."""
    return os.environ.get("BENCH_MASTER_PYTHONPATH", "")


class MasterProcess:
    def __init__(self, db_url: str, log_path: Path, *extra: str) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        other = _other_checkout()
        self._env = {"PYTHONPATH": other} if other else {}
        # `python -m` puts the working directory first on sys.path, ahead of
        # PYTHONPATH: -P keeps it off, or another checkout's master would be
        # this checkout's whenever the benchmark runs from one.
        self._args = [
            sys.executable,
            *(["-P"] if other else []),
            "-m",
            "master.cli",
            "--port",
            str(self.port),
            "--db",
            db_url,
            *extra,
        ]
        self._log_path = log_path
        self._popen: subprocess.Popen[bytes] | None = None
        self._process: psutil.Process | None = None

    def start(self, timeout: float = 120.0) -> float:
        """Starts the master; returns the seconds from spawning it until it
        answers an Operator call (its state loaded, its port open)."""
        started = time.perf_counter()
        self._popen = subprocess.Popen(
            self._args,
            stdout=self._log_path.open("ab"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self._env},
        )
        self._process = psutil.Process(self._popen.pid)
        while not answers(self.address, timeout=0.5):
            if self._popen.poll() is not None:
                raise RuntimeError(f"the master exited:\n{self._log_path.read_text()[-3000:]}")
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"the master did not answer within {timeout}s")
            time.sleep(0.02)
        return time.perf_counter() - started

    @property
    def pid(self) -> int:
        assert self._popen is not None
        return self._popen.pid

    def cpu_seconds(self) -> float:
        assert self._process is not None
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        assert self._process is not None
        return int(self._process.memory_info().rss)

    def peak_rss(self) -> int:
        """The most resident memory the process has held (the kernel's VmHWM)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return self.rss()

    def stop(self) -> None:
        if self._popen is not None and self._popen.poll() is None:
            self._popen.send_signal(signal.SIGTERM)
            try:
                self._popen.wait(15)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()
