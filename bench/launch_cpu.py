"""CPU seconds per process during one deploy of N containers over three
hosts, on `bench.multihost_bench`'s cluster (same hosts, engines, master,
agents and offer-service): what each of our processes and each host's
engine (dockerd, containerd, the shims) spent, user + system, from the
deploy call until SETTLE seconds after the N-th container started.

CPU seconds do not depend on what else the machine runs, as wall times do:
on this 2-core machine every second our processes spend is taken from the
engines. `--profile NAMES` also samples our processes named (master,
service, agent-h1, ..., comma-separated) with py-spy (`--gil`: Python
code holding the GIL) during each deploy (speedscope files in `--out`).

    python -m bench.launch_cpu [--rounds 3] [--methods offer,swarm]
        [--profile service] [--out /tmp/launch-cpu]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import psutil

from bench.containers_bench import _swarm_create
from bench.engine import IMAGE
from bench.multihost_bench import HOSTS, INDEX, ROOT, Cluster, N, Offer, Swarm
from offer.localcluster.hosts import HostSet
from offer.v1 import service_pb2

# Seconds after the last start still counted: the updates that follow it.
SETTLE = 3.0


def _cpu(process: psutil.Process) -> float:
    """User + system seconds of the process and of its children it reaped."""
    t = process.cpu_times()
    return float(t.user + t.system + t.children_user + t.children_system)


class Meter:
    """Named processes: ours by pid, each host's engine processes found by
    the host's network namespace (dockerd, containerd and the shims all
    live in it), grouped by host and program name."""

    def __init__(self, hosts: HostSet, ours: dict[str, int], threads: bool = False) -> None:
        # With `threads`, ours are split by thread name as well (gRPC's
        # threads are named; Python's all read "python").
        self._threads = threads
        self._ours = {name: psutil.Process(pid) for name, pid in ours.items()}
        self._netns = {os.stat(h.netns_path).st_ino: h.name for h in hosts.hosts}
        self._skip = set(ours.values())

    def snapshot(self) -> dict[tuple[str, int], float]:
        """(name, pid) -> CPU seconds so far."""
        seen: dict[tuple[str, int], float] = {}
        for name, process in self._ours.items():
            seen[(name, process.pid)] = _cpu(process)
            if self._threads:
                for thread in process.threads():
                    comm = _comm(process.pid, thread.id)
                    key = (f"{name}[{comm}]", thread.id)
                    seen[key] = float(thread.user_time + thread.system_time)
        for process in psutil.process_iter(["name"]):
            if process.pid in self._skip:
                continue
            try:
                host = self._netns.get(os.stat(f"/proc/{process.pid}/ns/net").st_ino)
                if host is None:
                    continue
                seen[(f"{host}:{process.info['name']}", process.pid)] = _cpu(process)
            except (OSError, psutil.Error):
                continue
        return seen

    @staticmethod
    def spent(
        before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]
    ) -> dict[str, float]:
        """Name -> CPU seconds between two snapshots (processes born in
        between count whole; ones that died in between are lost, except
        through their parent's reaped-children times)."""
        spent: dict[str, float] = defaultdict(float)
        for key, seconds in after.items():
            spent[key[0]] += seconds - before.get(key, 0.0)
        return dict(spent)


def _comm(pid: int, tid: int) -> str:
    try:
        return Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
    except OSError:
        return "?"


def _profiled(pid: int, out: Path) -> subprocess.Popen[bytes]:
    py_spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        [str(py_spy), "record", "--pid", str(pid), "--format", "speedscope",
         "--rate", "200", "--gil", "--nonblocking", "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _ours(spent: dict[str, float]) -> float:
    """Our processes' total (not the engines', not thread rows)."""
    return sum(v for n, v in spent.items() if ":" not in n and "[" not in n)


def _table(rows: list[dict[str, float]]) -> str:
    names = sorted({n for r in rows for n in r}, key=lambda n: (":" in n, n))
    lines = [f"{'process':28} " + " ".join(f"{'run ' + str(k + 1):>8}" for k in range(len(rows)))]
    for name in names:
        values = [r.get(name, 0.0) for r in rows]
        if max(values) >= 0.005:
            lines.append(f"{name:28} " + " ".join(f"{v:8.2f}" for v in values))
    ours = [_ours(r) for r in rows]
    engines = [sum(v for n, v in r.items() if ":" in n) for r in rows]
    lines.append(f"{'= ours':28} " + " ".join(f"{v:8.2f}" for v in ours))
    lines.append(f"{'= engines':28} " + " ".join(f"{v:8.2f}" for v in engines))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--methods", default="offer")
    parser.add_argument("--profile", default="")
    parser.add_argument("--threads", action="store_true", help="ours split by thread name")
    parser.add_argument("--out", type=Path, default=Path("/tmp/launch-cpu"))
    args = parser.parse_args()
    methods = args.methods.split(",")
    args.out.mkdir(parents=True, exist_ok=True)
    hosts = HostSet(INDEX, HOSTS, ROOT)
    with contextlib.ExitStack() as undo:
        hosts.up(images=[IMAGE])
        undo.callback(hosts.down)
        tmp = Path(undo.enter_context(tempfile.TemporaryDirectory(prefix="offer-cpu-")))
        cluster = Cluster(hosts)
        undo.callback(cluster.close)
        cluster.warm()
        offer = Offer(cluster, tmp, N, undo)
        ours = {"master": offer.master.pid, "service": offer._procs[-1].pid}
        for host, proc in zip(cluster.hosts, offer._procs, strict=False):
            ours[f"agent-{host.name}"] = proc.pid
        swarm = Swarm(cluster)
        if "swarm" in methods:
            undo.callback(swarm.leave)
            swarm.form()
        meter = Meter(hosts, ours, args.threads)
        # Launching only, not the removal that follows: each method's run()
        # removes what it started, so the meter reads inside the launch.
        launches: dict[str, Callable[[str], Callable[[], object]]] = {
            "offer": lambda name: lambda: offer.control.DeployApps(_deploy(offer, name)),
            "swarm": lambda name: (
                lambda: cluster.docker(swarm.manager, *_swarm_args(name, cluster.image))
            ),
        }
        results: dict[str, list[dict[str, float]]] = {m: [] for m in methods}
        for turn in range(args.rounds):
            for method in methods:
                name = f"c{method[0]}{turn}"
                before = meter.snapshot()
                spies = []
                if args.profile and method == "offer":
                    for target in args.profile.split(","):
                        out = args.out / f"{target}-{turn}.speedscope.json"
                        spies.append(_profiled(ours[target], out))
                    time.sleep(0.5)
                    before = meter.snapshot()
                done = cluster.timed(N, launches[method](name))
                time.sleep(SETTLE)
                after = meter.snapshot()
                for spy in spies:
                    spy.send_signal(signal.SIGINT)
                for spy in spies:
                    spy.wait(30)
                spent = Meter.spent(before, after)
                results[method].append(spent)
                print(
                    f"{method} {turn + 1}: {done.seconds:.2f} s, spread {done.spread}, "
                    f"ours {_ours(spent):.2f} CPU-s",
                    file=sys.stderr,
                    flush=True,
                )
                _remove(method, name, offer, swarm)
        for method in methods:
            print(f"\n{method}: CPU seconds from deploy to {SETTLE:.0f} s after start {N}")
            print(_table(results[method]))


def _deploy(offer: Offer, name: str) -> object:
    return service_pb2.DeployAppsRequest(yaml=offer.spec(name, N))


def _swarm_args(name: str, image: str) -> tuple[str, ...]:
    return _swarm_create(name, N, image)


def _remove(method: str, name: str, offer: Offer, swarm: Swarm) -> None:
    if method == "offer":
        offer.control.RemoveApp(service_pb2.RemoveAppRequest(app_id=name))
    else:
        swarm.cluster.docker(swarm.manager, "service", "rm", name)
    offer.cluster.cleared()


if __name__ == "__main__":
    main()
