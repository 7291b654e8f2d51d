"""`make demo`: a master, an agent and a small framework running real
containers through resource offers, shown by offerctl, then stopped cleanly.

    python scripts/demo.py [--tasks N] [--state-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import docker
import grpc

ROOT = Path(__file__).resolve().parent.parent
LABEL_AGENT = "offer.agent_id"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}", flush=True)


class Demo:
    def __init__(self, state_dir: Path, tasks: int) -> None:
        self.state_dir = state_dir
        self.tasks = tasks
        self.address = f"127.0.0.1:{free_port()}"
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.state_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", *args], stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def offerctl(self, *args: str) -> None:
        banner(f"offerctl {' '.join(args)}")
        subprocess.run(
            [sys.executable, "-m", "offer.ctl.cli", "--master", self.address, *args], check=True
        )

    def run(self) -> int:
        banner(f"starting offer-master on {self.address} (state in {self.state_dir}/master.db)")
        self.spawn(
            "master",
            "master.cli",
            "--port",
            self.address.rsplit(":", 1)[1],
            "--db",
            f"sqlite:///{self.state_dir / 'master.db'}",
        )
        with grpc.insecure_channel(self.address) as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
        banner("starting offer-agent (resources measured with psutil)")
        self.spawn(
            "agent",
            "agent.cli",
            "--master",
            self.address,
            "--work-dir",
            str(self.state_dir / "agent"),
        )
        banner(f"running examples/hello_framework.py: {self.tasks} containers through offers")
        framework = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "hello_framework.py"),
                "--master",
                self.address,
                "--tasks",
                str(self.tasks),
            ],
            timeout=120,
        )
        self.offerctl("agents")
        self.offerctl("frameworks")
        self.offerctl("tasks")
        return framework.returncode

    def stop(self) -> list[str]:
        """Stops every process and returns the containers left behind (removed)."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        id_file = self.state_dir / "agent" / "agent_id"
        if not id_file.exists():
            return []
        client = docker.from_env()
        left = client.containers.list(
            all=True, filters={"label": f"{LABEL_AGENT}={id_file.read_text().strip()}"}
        )
        for container in left:
            container.remove(force=True)
        client.close()
        return [c.name for c in left]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--state-dir", type=Path, default=ROOT / "demo-state")
    args = parser.parse_args()
    shutil.rmtree(args.state_dir, ignore_errors=True)
    args.state_dir.mkdir(parents=True)
    os.environ["PYTHONUNBUFFERED"] = "1"
    demo = Demo(args.state_dir, args.tasks)
    code = 1
    try:
        code = demo.run()
    except Exception as err:
        print(f"demo: {err}", file=sys.stderr)
    finally:
        left = demo.stop()
    if left:
        print(f"demo: containers were left behind and have been removed: {left}", file=sys.stderr)
        code = 1
    if code:
        print(f"demo: FAILED; logs are in {args.state_dir}/", file=sys.stderr)
    else:
        banner("demo finished: every process stopped, no container left behind")
    sys.exit(code)


if __name__ == "__main__":
    main()
