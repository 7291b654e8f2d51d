"""Real containers on several hosts: N `sleep` instances over three hosts,
offer-service (through a real master and an agent per host) against a
three-node Docker Swarm on the same three engines.

The hosts are network namespaces on this machine (`offer.localcluster`):
h1..h3 on 10.231.20.0/24, a Docker engine in each, Debian's registry on the
bridge (10.231.20.1:5000) holding the test image, which every engine pulls
from there by its registry name. Everything talks over loopback and that
network only: the master listens on the bridge address, each agent
advertises its host's address, Swarm advertises, listens and carries its
data path on the hosts' addresses, and its ingress network is removed
before any node joins (these services publish no ports, so they need none).

Both methods are timed as `bench.containers_bench` times them on one
engine: from the deploy call until the engines' event streams (all three,
merged) have told of N container starts. Both start the same container
(the limits an agent sets, `SHAPE`; Swarm's `--limit-cpu`/`--limit-memory`),
and both pull nothing while timed: every engine pulled the image and started
a container once before the first round. The methods take turns at going
first, and each figure is the median of its rounds.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import docker
import grpc

from bench.containers_bench import (
    CPUS,
    MEM_MIB,
    PIDS,
    SHAPE,
    _in_turn,
    _swarm_create,
    stop_processes,
)
from bench.engine import IMAGE
from bench.masterproc import MasterProcess, free_port
from offer.localcluster.hosts import Host, HostSet, needs_root_problem
from offer.v1 import operator_pb2, operator_pb2_grpc, service_pb2, service_pb2_grpc

# 10.231.20.0/24, kept under a short root: containerd's socket paths must fit.
INDEX = 20
ROOT = Path("/tmp/ocb20")
HOSTS = 3
N = 60
TIMEOUT = 180.0
POLL = 0.05
# Seconds without a container event on any engine that count as at rest.
QUIET = 1.0
# "spread": offer-service with the app constrained to N / hosts instances
# per host (`hostname MAX_PER`), as a Marathon user spreads an app.
# "engines": the engines' own limit, N / hosts parallel `docker run -d` on
# each engine at once (the machine's ceiling for any scheduler).
METHODS = ("offer", "swarm", "spread", "engines")
# Rounds of one run of each method, each going first in one round.
ROUNDS = 4


@dataclass(frozen=True)
class MultihostResult:
    n: int
    hosts: int
    rounds: int
    # Seconds of each run, in the order they ran.
    offer: tuple[float, ...]
    swarm: tuple[float, ...]
    # Instances per host (h1, h2, ...) of each run.
    offer_spread: tuple[tuple[int, ...], ...]
    swarm_spread: tuple[tuple[int, ...], ...]
    # offer-service with the app constrained to spread (hostname MAX_PER).
    spread: tuple[float, ...] = ()
    spread_spread: tuple[tuple[int, ...], ...] = ()
    max_per_host: int = 0
    # The engines alone: N / hosts parallel `docker run -d` on each.
    engines: tuple[float, ...] = ()
    # Method -> median seconds until its first container started.
    first: dict[str, float] = field(default_factory=dict)

    @property
    def offer_median(self) -> float:
        return statistics.median(self.offer)

    @property
    def swarm_median(self) -> float:
        return statistics.median(self.swarm)

    @property
    def spread_median(self) -> float:
        return statistics.median(self.spread)

    @property
    def engines_median(self) -> float:
        return statistics.median(self.engines)


@dataclass(frozen=True)
class Run:
    seconds: float
    # Until the first container started: the scheduler's latency, before
    # the engines' start rate sets the pace.
    first: float
    # How many run on each host (h1, h2, ...) at the end.
    spread: tuple[int, ...]


class Starts:
    """Container starts on several engines, as their event streams push
    them, merged: when each came and on which host."""

    def __init__(self, clients: dict[str, docker.DockerClient]) -> None:
        self._seen: list[tuple[float, str]] = []
        # When any engine last told of any container event.
        self._last = time.perf_counter()
        self._changed = threading.Condition()
        self._streams = []
        for name, client in clients.items():
            # Returns once the engine answered: no start after this is missed.
            stream = client.events(filters={"type": "container"}, decode=True)
            self._streams.append(stream)
            threading.Thread(
                target=self._read, args=(name, stream), name=f"starts-{name}", daemon=True
            ).start()

    def _read(self, name: str, stream: object) -> None:
        with contextlib.suppress(Exception):  # the stream was closed
            for event in stream:  # type: ignore[attr-defined]
                with self._changed:
                    self._last = time.perf_counter()
                    if event.get("status") == "start":
                        self._seen.append((self._last, name))
                    self._changed.notify_all()

    def quiet(self, seconds: float) -> None:
        """Waits until no engine has told of a container event for `seconds`
        (the last method's removals and clean-up done), at most TIMEOUT."""
        deadline = time.perf_counter() + TIMEOUT
        with self._changed:
            while (calm := time.perf_counter() - self._last) < seconds:
                if time.perf_counter() > deadline:
                    raise TimeoutError("the engines never went quiet")
                self._changed.wait(seconds - calm)

    def count(self) -> int:
        with self._changed:
            return len(self._seen)

    def after(self, mark: int, n: int, what: str) -> list[tuple[float, str]]:
        """Waits for n starts after `mark` (a `count`); when each came, where."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._seen) >= mark + n, TIMEOUT):
                raise TimeoutError(f"timed out waiting for {what}")
            return self._seen[mark : mark + n]

    def close(self) -> None:
        for stream in self._streams:
            with contextlib.suppress(Exception):
                stream.close()


class Cluster:
    """The three hosts, a client of each engine and a watch on their starts."""

    def __init__(self, hosts: HostSet) -> None:
        self.set = hosts
        self.hosts: list[Host] = list(hosts.hosts)
        self.image = hosts.image(IMAGE)
        self.clients = {h.name: hosts.engine(h).client(timeout=120) for h in self.hosts}
        self.starts = Starts(self.clients)

    def docker(self, host: Host, *args: str, check: bool = True) -> str:
        """The docker CLI against `host`'s engine; its output."""
        command = ["docker", "--host", self.set.engine(host).docker_host, *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} on {host.name}: {done.stderr.strip()}")
        return done.stdout

    def running(self) -> dict[str, int]:
        return {
            name: len(client.api.containers(filters={"status": "running"}))
            for name, client in self.clients.items()
        }

    def spread(self) -> tuple[int, ...]:
        counts = self.running()
        return tuple(counts[h.name] for h in self.hosts)

    def cleared(self) -> None:
        """Waits until no container runs on any host, then removes the
        stopped ones."""
        deadline = time.monotonic() + TIMEOUT
        while any(self.running().values()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"containers still running: {self.running()}")
            time.sleep(POLL)
        for client in self.clients.values():
            client.api.prune_containers()
        # The next method starts on engines at rest, whichever ran before.
        self.starts.quiet(QUIET)

    def warm(self) -> None:
        """Every engine pulls the image and starts one container, so that
        neither method's first run pays for a pull or cold caches."""
        for host in self.hosts:
            self.docker(host, "pull", "--quiet", self.image)
            self.docker(host, "run", "--rm", "--network", "none", self.image, "true")

    def timed(self, n: int, launch: Callable[[], object]) -> Run:
        """From calling `launch` until n more containers started on the hosts."""
        mark = self.starts.count()
        start = time.perf_counter()
        launch()
        starts = self.starts.after(mark, n, f"{n} container starts")
        return Run(starts[-1][0] - start, starts[0][0] - start, self.spread())

    def engines(self, n: int) -> Run:
        """n parallel `docker run -d`, an even share on each engine."""
        shape = (*SHAPE, "--pids-limit", str(PIDS))
        run = ("run", "-d", "--label", "bench=engines", *shape, self.image, "sleep", "3600")
        share = [self.hosts[k % len(self.hosts)] for k in range(n)]

        def launch() -> None:
            with ThreadPoolExecutor(n) as pool:
                list(pool.map(lambda host: self.docker(host, *run), share))

        result = self.timed(n, launch)
        for host, client in zip(self.hosts, self.clients.values(), strict=True):
            ids = [c["Id"] for c in client.api.containers(filters={"label": "bench=engines"})]
            if ids:
                self.docker(host, "rm", "--force", *ids)
        self.cleared()
        return result

    def close(self) -> None:
        self.starts.close()
        for client in self.clients.values():
            client.close()


class Swarm:
    """A swarm of the three engines: h1 the manager, the others workers,
    every address one of the hosts'."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.manager = cluster.hosts[0]

    def form(self) -> None:
        cluster = self.cluster
        manager, *workers = cluster.hosts
        addr = manager.address
        cluster.docker(
            manager,
            "swarm", "init",
            "--advertise-addr", addr,
            "--listen-addr", f"{addr}:2377",
            "--data-path-addr", addr,
        )  # fmt: skip
        # The routing mesh's overlay, unused by services without published
        # ports: gone before any node joins, so no node sets it up.
        cluster.clients[manager.name].networks.get("ingress").remove()
        token = cluster.docker(manager, "swarm", "join-token", "--quiet", "worker").strip()
        for worker in workers:
            cluster.docker(
                worker,
                "swarm", "join",
                "--token", token,
                "--advertise-addr", worker.address,
                "--listen-addr", f"{worker.address}:2377",
                "--data-path-addr", worker.address,
                f"{addr}:2377",
            )  # fmt: skip
        self._until_ready(len(cluster.hosts))

    def _until_ready(self, count: int) -> None:
        deadline = time.monotonic() + TIMEOUT
        while True:
            nodes = self.cluster.docker(self.manager, "node", "ls", "--format", "{{.Status}}")
            if nodes.split().count("Ready") >= count:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"swarm nodes not ready: {nodes!r}")
            time.sleep(0.2)

    def run(self, name: str, n: int) -> Run:
        create = _swarm_create(name, n, self.cluster.image)
        result = self.cluster.timed(n, lambda: self.cluster.docker(self.manager, *create))
        self.cluster.docker(self.manager, "service", "rm", name)
        self.cluster.cleared()
        return result

    def leave(self) -> None:
        for host in reversed(self.cluster.hosts):
            self.cluster.docker(host, "swarm", "leave", "--force", check=False)


class Offer:
    """A master on the bridge address, an agent on every host, and
    offer-service (on this machine's loopback, a client of the master)."""

    def __init__(self, cluster: Cluster, root: Path, n: int, undo: contextlib.ExitStack) -> None:
        """Its processes stop when `undo` closes, even if it fails to start."""
        self.cluster = cluster
        self.root = root
        gateway = cluster.set.gateway
        self.master = MasterProcess(
            f"sqlite:///{root / 'master.db'}", root / "master.log", "--host", gateway, "--insecure"
        )
        # MasterProcess asks the master on loopback; this one listens on the bridge.
        self.master.address = f"{gateway}:{self.master.port}"
        self._procs: list[subprocess.Popen[bytes]] = []
        undo.callback(self.close)
        self.master.start()
        env = {"PYTHONUNBUFFERED": "1"}
        for host in cluster.hosts:
            # Room for every instance on each agent, as the one-host bench
            # gives its agent: where they go is offer-service's choice.
            agent = [
                sys.executable, "-m", "agent.cli",
                "--master", self.master.address,
                "--resources", f"cpus:{n};mem:{64 * n}",
                "--work-dir", str(root / f"agent-{host.name}"),
                "--hostname", host.name,
                "--advertise-address", host.address,
            ]  # fmt: skip
            log = root / f"agent-{host.name}.log"
            self._procs.append(cluster.set.spawn(host, agent, log, env))
        service_port = free_port()
        service = [
            sys.executable, "-m", "frameworks.service.cli",
            "--master", self.master.address,
            "--db", f"sqlite:///{root / 'svc.db'}",
            "--port", str(service_port),
        ]  # fmt: skip
        self._procs.append(
            subprocess.Popen(
                service,
                stdout=(root / "service.log").open("ab"),
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **env},
            )
        )
        self._channel = grpc.insecure_channel(f"127.0.0.1:{service_port}")
        self.control = service_pb2_grpc.ServiceControlStub(self._channel)
        self._until(self._answers, "offer-service to answer")
        self._until(lambda: self._agents() >= len(cluster.hosts), "every agent to register")

    def _until(self, predicate: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not predicate():
            for proc in self._procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            time.sleep(POLL)

    def _answers(self) -> bool:
        try:
            self.control.ListApps(service_pb2.ListAppsRequest(), timeout=1)
        except grpc.RpcError:
            return False
        return True

    def _agents(self) -> int:
        with grpc.insecure_channel(self.master.address) as channel:
            try:
                reply = operator_pb2_grpc.OperatorStub(channel).ListAgents(
                    operator_pb2.ListAgentsRequest(), timeout=2
                )
            except grpc.RpcError:
                return 0
        return len(reply.agents)

    def spec(self, app_id: str, n: int, max_per_host: int = 0) -> str:
        """bench.containers_bench's app, with the image by its registry name;
        with `max_per_host`, Marathon's constraint that spreads it."""
        spread = f"constraints: [[hostname, MAX_PER, '{max_per_host}']]\n" if max_per_host else ""
        return (
            f"id: {app_id}\nimage: {self.cluster.image}\ncmd: [sleep, '3600']\n"
            f"cpus: {CPUS}\nmem: {MEM_MIB}\ninstances: {n}\n"
            f"backoff_seconds: 0\nkill_grace_seconds: 0\n{spread}"
        )

    def run(self, app_id: str, n: int, max_per_host: int = 0) -> Run:
        request = service_pb2.DeployAppsRequest(yaml=self.spec(app_id, n, max_per_host))
        result = self.cluster.timed(n, lambda: self.control.DeployApps(request))
        self.control.RemoveApp(service_pb2.RemoveAppRequest(app_id=app_id))
        self.cluster.cleared()
        return result

    def close(self) -> None:
        if hasattr(self, "_channel"):
            self._channel.close()
        stop_processes(self._procs)
        self.master.stop()


def run(quick: bool, keep_logs: Path | None = None) -> MultihostResult:
    """`keep_logs`: a folder to copy the master's, agents' and
    offer-service's logs to, for profiling."""
    if problem := needs_root_problem():
        raise RuntimeError(f"the multi-host benchmark cannot run here: {problem}")
    rounds = 1 if quick else ROUNDS
    per_host = -(-N // HOSTS)
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    spreads: dict[str, list[tuple[int, ...]]] = {m: [] for m in METHODS}
    firsts: dict[str, list[float]] = {m: [] for m in METHODS}
    hosts = HostSet(INDEX, HOSTS, ROOT)
    # Whatever happens, everything goes, last made first gone: the hosts
    # (engines, registry, network, spawned agents) last of all.
    with contextlib.ExitStack() as undo:
        hosts.up(images=[IMAGE])
        undo.callback(hosts.down)
        tmp = Path(undo.enter_context(tempfile.TemporaryDirectory(prefix="offer-multihost-")))
        if keep_logs is not None:
            undo.callback(_copy_logs, tmp, keep_logs)
        cluster = Cluster(hosts)
        undo.callback(cluster.close)
        cluster.warm()
        offer = Offer(cluster, tmp, N, undo)
        swarm = Swarm(cluster)
        undo.callback(swarm.leave)
        swarm.form()
        steps: dict[str, Callable[[int], Run]] = {
            "offer": lambda turn: offer.run(f"m{turn}", N),
            "swarm": lambda turn: swarm.run(f"multi{turn}", N),
            "spread": lambda turn: offer.run(f"s{turn}", N, per_host),
            "engines": lambda turn: cluster.engines(N),
        }
        # Each goes first in turn: offer, swarm, spread; swarm, spread, offer; ...
        for turn in range(rounds):
            for method in _in_turn(METHODS, turn):
                done = steps[method](turn)
                times[method].append(done.seconds)
                firsts[method].append(done.first)
                spreads[method].append(done.spread)
                print(
                    f"  {method}: {done.seconds:.2f} s (first start after {done.first:.2f} s), "
                    f"per host {done.spread}",
                    file=sys.stderr,
                    flush=True,
                )
    return MultihostResult(
        n=N,
        hosts=HOSTS,
        rounds=rounds,
        offer=tuple(times["offer"]),
        swarm=tuple(times["swarm"]),
        offer_spread=tuple(spreads["offer"]),
        swarm_spread=tuple(spreads["swarm"]),
        spread=tuple(times["spread"]),
        spread_spread=tuple(spreads["spread"]),
        max_per_host=per_host,
        engines=tuple(times["engines"]),
        first={m: statistics.median(firsts[m]) for m in METHODS},
    )


def _copy_logs(folder: Path, to: Path) -> None:
    to.mkdir(parents=True, exist_ok=True)
    for log in folder.glob("*.log"):
        (to / log.name).write_bytes(log.read_bytes())


def spread_text(spreads: Sequence[tuple[int, ...]]) -> str:
    """Each distinct spread (h1/h2/h3) with how many runs had it."""
    counted = Counter(spreads)
    return ", ".join(
        "/".join(str(c) for c in spread) + (f" ({times}x)" if len(counted) > 1 else "")
        for spread, times in counted.most_common()
    )


if __name__ == "__main__":
    logs = Path(sys.argv[sys.argv.index("--logs") + 1]) if "--logs" in sys.argv else None
    result = run(quick="--quick" in sys.argv, keep_logs=logs)
    print(result)
    print(
        f"offer {result.offer_median:.2f} s ({spread_text(result.offer_spread)}), "
        f"swarm {result.swarm_median:.2f} s ({spread_text(result.swarm_spread)}), "
        f"swarm/offer {result.swarm_median / result.offer_median:.2f}x; "
        f"offer spread by constraint {result.spread_median:.2f} s "
        f"({spread_text(result.spread_spread)}); engines alone {result.engines_median:.2f} s"
    )
