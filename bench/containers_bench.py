"""Real containers on one host, side by side on one private engine: the
time until N `sleep` containers run, launched (1) by the engine alone, N
parallel `docker run -d` from a thread pool, (2) by Docker Swarm, image by
tag and by id, and (3) by offer-service through a real master and agent;
and the time to replace a container killed by hand (Swarm with
`--restart-delay 0s`, offer-service with `backoff_seconds: 0`).

Every method is timed the same way: from its first call until the
engine's event stream has told of N container starts. (A poll of the
engine's container list every 20 ms, as this measured before, slowed the
very starts it timed by about 9% at 50 containers.) Every method starts the
same container: the engine's default network and the limits an agent always
sets (`SHAPE`: a tenth of a cpu, 32 MiB and no swap beyond it, a PID limit;
Swarm has no PID limit flag on this engine version). A cgroup limit and a
network namespace are part of what an engine does per start, so comparing
confined containers with bare ones would measure the container, not the
scheduler.
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import docker
import grpc

from bench.engine import IMAGE, BenchEngine
from bench.masterproc import MasterProcess, free_port
from offer.v1 import service_pb2, service_pb2_grpc

POLL = 0.02
TIMEOUT = 120.0


@dataclass(frozen=True)
class ContainersResult:
    n: int
    engine: float
    swarm_by_tag: float
    swarm_by_id: float
    offer: float
    swarm_replace: float
    offer_replace: float
    # Each figure is the median of this many runs.
    rounds: int = 1
    # offer's time over Swarm's best in the same round, round by round: the
    # methods take turns, so a round's figures share the machine's mood.
    offer_over_swarm: tuple[float, ...] = ()


@dataclass(frozen=True)
class UserResult:
    """offerctl as a user meets it: its start-up, and a deploy timed by the
    wall clock of the command that waits for it, against Swarm's CLI."""

    # Median seconds of each command line, e.g. "offerctl --version".
    startup: dict[str, float]
    n: int
    # Wall time of `offerctl app deploy --wait` and of `docker service
    # create --detach=false` until each returned with n containers running.
    offerctl_deploy: float
    swarm_deploy: float
    rounds: int


class Starts:
    """The engine's container starts, as its event stream pushes them."""

    def __init__(self, client: docker.DockerClient) -> None:
        # Returns once the engine answered: no start after this is missed.
        self._stream = client.events(filters={"type": "container", "event": "start"}, decode=True)
        self._seen: list[float] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, name="starts", daemon=True).start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):  # the stream was closed
            for _ in self._stream:
                with self._changed:
                    self._seen.append(time.perf_counter())
                    self._changed.notify_all()

    def count(self) -> int:
        with self._changed:
            return len(self._seen)

    def nth_after(self, mark: int, n: int, what: str) -> float:
        """Waits for the n-th start after `mark` (a `count`); when it came."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._seen) >= mark + n, TIMEOUT):
                raise TimeoutError(f"timed out waiting for {what}")
            return self._seen[mark + n - 1]

    def close(self) -> None:
        self._stream.close()


def _running(client: docker.DockerClient) -> list[str]:
    return [c["Id"] for c in client.api.containers(filters={"status": "running"})]


def _until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(POLL)


@dataclass(frozen=True)
class Host:
    """The private engine, a client of it and a watch on its starts."""

    engine: BenchEngine
    client: docker.DockerClient
    starts: Starts


def _timed(host: Host, n: int, launch: Callable[[], object]) -> float:
    """Seconds from calling `launch` until n more containers started."""
    mark = host.starts.count()
    start = time.perf_counter()
    launch()
    return host.starts.nth_after(mark, n, f"{n} container starts") - start


def _replace(host: Host) -> float:
    """Kills a running container; seconds until another one started."""
    victim = _running(host.client)[0]
    mark = host.starts.count()
    start = time.perf_counter()
    host.engine.docker("kill", victim)
    return host.starts.nth_after(mark, 1, "a replacement") - start


def _cleared(host: Host) -> None:
    _until(lambda: not _running(host.client), "no running containers")
    host.engine.docker("container", "prune", "--force")


# What offer-service's app (OfferCluster.deploy) asks for, as docker flags.
CPUS, MEM_MIB, PIDS = 0.1, 32, 1024
SHAPE = ("--cpus", str(CPUS), "--memory", f"{MEM_MIB}m", "--memory-swap", f"{MEM_MIB}m")


def _engine_limit(host: Host, n: int) -> float:
    def launch() -> None:
        run = ("run", "-d", *SHAPE, "--pids-limit", str(PIDS), IMAGE, "sleep", "3600")
        with ThreadPoolExecutor(n) as pool:
            list(pool.map(lambda _: host.engine.docker(*run), range(n)))

    seconds = _timed(host, n, launch)
    host.engine.docker("rm", "--force", *_running(host.client))
    _cleared(host)
    return seconds


def _swarm_create(name: str, n: int, image: str, detach: bool = True) -> tuple[str, ...]:
    """`docker service create` of n sleepers; without `detach` the CLI
    returns once Swarm says the service converged, as a user sees it."""
    return (
        "service",
        "create",
        "--detach" if detach else "--detach=false",
        "--name",
        name,
        "--replicas",
        str(n),
        "--restart-delay",
        "0s",
        # `sleep` as PID 1 ignores SIGTERM: without this each teardown waits 10 s.
        "--stop-grace-period",
        "0s",
        "--limit-cpu",
        str(CPUS),
        "--limit-memory",
        f"{MEM_MIB}m",
        image,
        "sleep",
        "3600",
    )


def _swarm(host: Host, n: int, image: str, replace: bool) -> tuple[float, float]:
    name = f"bench{n}"
    create = _swarm_create(name, n, image)
    seconds = _timed(host, n, lambda: host.engine.docker(*create))
    replaced = _replace(host) if replace else 0.0
    host.engine.docker("service", "rm", name)
    _cleared(host)
    return seconds, replaced


class OfferCluster:
    """A master, one agent on the private engine and offer-service."""

    def __init__(self, engine: BenchEngine, root: Path, n_max: int) -> None:
        self.root = root
        self.master = MasterProcess(f"sqlite:///{root / 'master.db'}", root / "master.log")
        self.master.start()
        env = {**os.environ, "DOCKER_HOST": engine.host, "PYTHONUNBUFFERED": "1"}
        service_port = free_port()
        self.service_address = f"127.0.0.1:{service_port}"
        self._procs = [
            self._spawn(
                "agent",
                env,
                "agent.cli",
                "--master",
                self.master.address,
                "--resources",
                f"cpus:{n_max};mem:{64 * n_max}",
                "--work-dir",
                str(root / "agent"),
            ),
            self._spawn(
                "service",
                env,
                "frameworks.service.cli",
                "--master",
                self.master.address,
                "--db",
                f"sqlite:///{root / 'svc.db'}",
                "--port",
                str(service_port),
            ),
        ]
        self._channel = grpc.insecure_channel(self.service_address)
        self.control = service_pb2_grpc.ServiceControlStub(self._channel)
        _until(self._answers, "offer-service to answer")

    def _spawn(self, name: str, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
        log = (self.root / f"{name}.log").open("ab")
        command = [sys.executable, "-m", *args]
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)

    def _answers(self) -> bool:
        try:
            self.control.ListApps(service_pb2.ListAppsRequest(), timeout=1)
        except grpc.RpcError:
            return False
        return True

    @staticmethod
    def spec(app_id: str, n: int) -> str:
        return (
            f"id: {app_id}\nimage: {IMAGE}\ncmd: [sleep, '3600']\ncpus: {CPUS}\nmem: {MEM_MIB}\n"
            f"instances: {n}\nbackoff_seconds: 0\nkill_grace_seconds: 0\n"
        )

    def deploy(self, app_id: str, n: int) -> None:
        request = service_pb2.DeployAppsRequest(yaml=self.spec(app_id, n))
        self.control.DeployApps(request)

    def remove(self, app_id: str) -> None:
        self.control.RemoveApp(service_pb2.RemoveAppRequest(app_id=app_id))

    def close(self) -> None:
        self._channel.close()
        stop_processes(self._procs)
        self.master.stop()


def stop_processes(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each, last started first; SIGKILL to one still running 20 s later."""
    for proc in reversed(procs):
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Each method runs this many times at each N, taking turns, and its median
# is reported: on a shared machine one run of a few seconds is mostly noise,
# and the shorter runs of 20 are the noisier (round to round they moved by
# more than the gap they were to tell), so they get more rounds.
ROUNDS = {20: 9, 50: 5}


def _in_turn(methods: tuple[str, ...], turn: int) -> tuple[str, ...]:
    """The methods in this round's order, as rows of a Williams square: each
    goes first in one round, and each follows every other in turn, so that
    none always runs just after the same one's teardown (a rotation alone
    keeps every method's predecessor: the one whose leftovers it meets)."""
    n = len(methods)
    first = [0]
    for k in range(1, n):
        first.append((k + 1) // 2 if k % 2 else n - k // 2)
    row = [(i + turn) % n for i in first]
    if n % 2 and (turn // n) % 2:
        row.reverse()  # an odd count needs the mirrored rows too
    return tuple(methods[i] for i in row)


def _named(names: tuple[str, str], seconds: tuple[float, float]) -> dict[str, float]:
    return dict(zip(names, seconds, strict=True))


# The installed console script, as users run it; `-m` from a bare checkout.
_SCRIPT = Path(sys.executable).with_name("offerctl")
OFFERCTL = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "offer.ctl.cli"]


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT)
    return time.perf_counter() - start


def _startup(cluster: OfferCluster, runs: int) -> dict[str, float]:
    """Median wall time of offerctl's start-up commands, and of a list
    against the running master and offer-service (found through the master)."""
    lines = {
        "offerctl --version": ["--version"],
        "offerctl --help": ["--help"],
        "offerctl app list": ["--master", cluster.master.address, "app", "list"],
    }
    return {
        name: statistics.median(_wall([*OFFERCTL, *args]) for _ in range(runs))
        for name, args in lines.items()
    }


def _offerctl_deploy(host: Host, cluster: OfferCluster, app_id: str, n: int) -> float:
    spec = cluster.root / f"{app_id}.yaml"
    spec.write_text(cluster.spec(app_id, n))
    master = cluster.master.address
    seconds = _wall([*OFFERCTL, "--master", master, "app", "deploy", str(spec), "--wait"])
    cluster.remove(app_id)
    _cleared(host)
    return seconds


def _swarm_deploy(host: Host, n: int, name: str) -> float:
    command = ["docker", "-H", host.engine.host, *_swarm_create(name, n, IMAGE, detach=False)]
    seconds = _wall(command)
    host.engine.docker("service", "rm", name)
    _cleared(host)
    return seconds


def _user_level(host: Host, cluster: OfferCluster, quick: bool) -> UserResult:
    n, rounds = 20, 1 if quick else 3
    offerctl: list[float] = []
    swarm: list[float] = []
    for turn in range(rounds):
        # Taking turns at going first, as the methods above do.
        for method in _in_turn(("offerctl", "swarm"), turn):
            if method == "offerctl":
                offerctl.append(_offerctl_deploy(host, cluster, f"u{turn}", n))
            else:
                swarm.append(_swarm_deploy(host, n, f"user{turn}"))
    return UserResult(
        _startup(cluster, 5 if quick else 15),
        n,
        statistics.median(offerctl),
        statistics.median(swarm),
        rounds,
    )


def run(quick: bool) -> tuple[list[ContainersResult], UserResult]:
    sizes = [20] if quick else [20, 50]
    rounds = {n: 1 if quick else ROUNDS[n] for n in sizes}
    engine = BenchEngine()
    times: dict[tuple[str, int], list[float]] = {}

    def record(method: str, n: int, seconds: float) -> None:
        times.setdefault((method, n), []).append(seconds)

    try:
        engine.start()
        image_id = engine.load_image()
        client = docker.DockerClient(base_url=engine.host)
        host = Host(engine, client, Starts(client))
        # One container first: the engine's first start pays for cold caches.
        engine.docker("run", "--rm", "--network", "none", IMAGE, "true")
        engine.docker("swarm", "init", "--advertise-addr", "127.0.0.1")
        with tempfile.TemporaryDirectory(prefix="offer-containers-") as tmp:
            cluster = OfferCluster(engine, Path(tmp), max(sizes))
            # Each method's runs at N in round `turn`: the figures they give.
            steps: dict[str, Callable[[int, int], dict[str, float]]] = {
                "engine": lambda n, turn: {"engine": _engine_limit(host, n)},
                "tag": lambda n, turn: {"tag": _swarm(host, n, IMAGE, replace=False)[0]},
                "id": lambda n, turn: _named(
                    ("id", "swarm replace"), _swarm(host, n, image_id, replace=True)
                ),
                "offer": lambda n, turn: _named(
                    ("offer", "offer replace"), _offer_run(host, cluster, f"b{turn}x{n}", n)
                ),
            }
            try:
                for turn in range(max(rounds.values())):
                    for n in (n for n in sizes if turn < rounds[n]):
                        for method in _in_turn(tuple(steps), turn):
                            for name, seconds in steps[method](n, turn).items():
                                record(name, n, seconds)
                user = _user_level(host, cluster, quick)
            finally:
                cluster.close()
                engine.docker("swarm", "leave", "--force", check=False)
                host.starts.close()
        sized = [
            ContainersResult(
                n,
                engine=statistics.median(times["engine", n]),
                swarm_by_tag=statistics.median(times["tag", n]),
                swarm_by_id=statistics.median(times["id", n]),
                offer=statistics.median(times["offer", n]),
                swarm_replace=statistics.median(times["swarm replace", n]),
                offer_replace=statistics.median(times["offer replace", n]),
                rounds=rounds[n],
                offer_over_swarm=tuple(
                    offer / min(tag, by_id)
                    for offer, tag, by_id in zip(
                        times["offer", n], times["tag", n], times["id", n], strict=True
                    )
                ),
            )
            for n in sizes
        ]
        return sized, user
    finally:
        engine.close()


def _offer_run(host: Host, cluster: OfferCluster, app_id: str, n: int) -> tuple[float, float]:
    seconds = _timed(host, n, lambda: cluster.deploy(app_id, n))
    replaced = _replace(host)
    cluster.remove(app_id)
    _cleared(host)
    return seconds, replaced


if __name__ == "__main__":
    sized, user = run(quick="--quick" in sys.argv)
    for result in sized:
        print(result)
    print(user)
