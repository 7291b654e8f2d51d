"""offer-cluster: a local cluster of several hosts on this machine, for
people, as `kind create cluster` or `docker-machine create`.

`offer-cluster up` makes N hosts (network namespaces on 10.231.K.0/24, a
Docker engine in each, a registry holding the test image), starts a master
on the bridge's address, an agent in every host, offer-service and
offer-batch, waits until every agent has registered and prints how to point
offerctl at it. `offer-cluster down` removes all of it, from any shell: what
was started is recorded in the state folder.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests

from offer.exclusive import InUseError, check_port_free
from offer.localcluster import pids
from offer.localcluster.engines import HostEngine
from offer.localcluster.hosts import HostSet, HostSetupError, needs_root_problem, teardown
from offer.localcluster.network import Network, run

IMAGE = "offer-test/busybox:latest"
DEFAULT_STATE_DIR = "/tmp/offer-cluster"
DEFAULT_HOSTS = 3
MASTER_PORT = 5050
SERVICE_PORT = 5060
BATCH_PORT = 5070
READY_TIMEOUT = 60.0
# Seconds a daemon has to stop after SIGTERM before SIGKILL.
STOP_WITHIN = 10.0
# What `up` records in the state folder; hosts.json is the HostSet's own.
CLUSTER_FILE = "cluster.json"
HOSTS_FILE = "hosts.json"
# The daemons outside the hosts, in the order `down` stops them.
DAEMONS = {
    "offer-service": "frameworks.service.cli",
    "offer-batch": "frameworks.batch.cli",
    "offer-master": "master.cli",
}

PROG = "offer-cluster"

EXAMPLES = f"""\
examples:
  sudo {PROG} up                  # 3 hosts on 10.231.0.0/24, state in {DEFAULT_STATE_DIR}
  sudo {PROG} up --hosts 5 --subnet-index 7 --state-dir /tmp/oc7
  sudo {PROG} status
  sudo {PROG} down                # everything it made is gone
  sudo ip link set oc0v2 down     # partition h2 (veth oc<K>v<N>); `... up` heals it

It needs root (network namespaces, a Docker engine per host), iproute2,
iptables, docker.io and docker-registry (`make engine` installs them on
Debian), and the image {IMAGE} on this machine's engine (`make engine`).
"""


# The daemons this process started, to say how one that exited ended.
_started: dict[str, subprocess.Popen[bytes]] = {}


class ClusterError(Exception):
    """Said in one line as `offer-cluster: ...`, exit 1."""


# -- the command line ---------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "A local cluster of several hosts on this machine: a network namespace per host "
            "with its own Docker engine and offer-agent, a registry, offer-master, "
            "offer-service and offer-batch. One command brings it up, one takes it down."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def state_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--state-dir",
            type=Path,
            default=Path(DEFAULT_STATE_DIR),
            metavar="DIR",
            help="where its state, logs and engines live; keep it short (default: %(default)s)",
        )

    up = commands.add_parser(
        "up",
        help="make the hosts and start the cluster (an existing one in DIR is taken down first)",
        description="Make N hosts and start a master, an agent per host, offer-service and "
        "offer-batch; print how to point offerctl at them.",
        epilog=f"examples:\n  sudo {PROG} up --hosts 2\n  sudo {PROG} up --subnet-index 5 "
        "--state-dir /tmp/oc5   # a second cluster beside the first",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    up.add_argument(
        "--hosts",
        type=int,
        default=DEFAULT_HOSTS,
        metavar="N",
        help="how many hosts, each with an engine and an agent (default: %(default)s)",
    )
    state_dir(up)
    up.add_argument(
        "--subnet-index",
        type=int,
        default=0,
        metavar="K",
        help="the hosts' network is 10.231.K.0/24, 0-254 (default: %(default)s)",
    )
    down = commands.add_parser(
        "down",
        help="stop everything `up` started and remove its hosts and folder",
        epilog=f"example:\n  sudo {PROG} down --state-dir /tmp/oc5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    state_dir(down)
    status = commands.add_parser(
        "status",
        help="what is running and where (exit 1 if no cluster is up or a part of it is down)",
    )
    state_dir(status)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "up":
            code = cmd_up(args.state_dir.absolute(), args.hosts, args.subnet_index)
        elif args.command == "down":
            code = cmd_down(args.state_dir.absolute())
        else:
            code = cmd_status(args.state_dir.absolute())
    except ClusterError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)


# -- up -------------------------------------------------------------------------


def cmd_up(state: Path, count: int, index: int) -> int:
    if not 1 <= count <= 250:
        raise ClusterError(f"--hosts must be 1-250, not {count}")
    if not 0 <= index <= 254:
        raise ClusterError(f"--subnet-index must be 0-254, not {index}")
    if problem := needs_root_problem():
        raise ClusterError(f"{problem}; run it as root (sudo)")
    check_image()
    if is_up(state):
        say(f"a cluster is already up in {state}; taking it down first")
        stop_all(state)
    elif state.exists() and (not state.is_dir() or any(state.iterdir())):
        raise ClusterError(
            f"{state} exists and is not a cluster's state folder; choose a new --state-dir"
        )
    check_subnet_free(index)
    started = time.monotonic()
    hosts = HostSet(index, count, state)
    say(f"making {count} hosts on 10.231.{index}.0/24 (engines, registry) in {state}")
    try:
        hosts.up(images=[IMAGE])
    except HostSetupError as err:
        raise ClusterError(f"could not make the hosts: {err}") from None
    try:
        info = start_daemons(hosts, state)
        say("waiting for the agents and frameworks to register")
        wait_ready(info, count, state)
    except BaseException:
        say("taking down what was started")
        stop_all(state)
        raise
    print_summary(info, state, time.monotonic() - started)
    return 0


def check_image() -> None:
    try:
        with contextlib.closing(docker.from_env(timeout=10)) as machine:
            machine.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        raise ClusterError(
            f"the image {IMAGE} is not on this machine's Docker engine; run `make engine`"
        ) from None
    except docker.errors.DockerException as err:
        raise ClusterError(
            f"no Docker engine answers on this machine ({err}); run `make engine`"
        ) from None


def check_subnet_free(index: int) -> None:
    """The subnet is not another cluster's or test run's (its bridge or an
    address of it exists outside the state folder we are about to use)."""
    network = Network(index, 1)
    if run(["ip", "link", "show", network.bridge], check=False).returncode == 0:
        raise ClusterError(
            f"10.231.{index}.0/24 is in use (bridge {network.bridge} exists, made by another "
            "cluster or test run); choose another --subnet-index or take that one down"
        )
    addresses = run(["ip", "-o", "-4", "addr", "show"], check=False).stdout
    prefix = f" 10.231.{index}."
    for line in addresses.splitlines():
        if prefix in line:
            raise ClusterError(
                f"10.231.{index}.0/24 is in use here ({line.split()[1]} holds an address in "
                "it); choose another --subnet-index"
            )


def start_daemons(hosts: HostSet, state: Path) -> dict[str, Any]:
    gateway = hosts.gateway
    master = f"{gateway}:{MASTER_PORT}"
    service = f"{gateway}:{SERVICE_PORT}"
    batch = f"{gateway}:{BATCH_PORT}"
    check_ports_free(gateway)
    info: dict[str, Any] = {
        "index": hosts.network.index,
        "master": master,
        "service": service,
        "batch": batch,
        "registry": hosts.registry.address,
        "image": hosts.image(IMAGE),
        "hosts": {h.name: h.address for h in hosts.hosts},
        "bridge": hosts.network.bridge,
        "veths": {h.name: h.veth for h in hosts.hosts},
        # The first host's engine trusts the registry (plain HTTP): offerctl
        # builds Compose build: services with it (docs/compose-build.md).
        "builder": hosts.engine(hosts.hosts[0]).docker_host,
    }
    (state / CLUSTER_FILE).write_text(json.dumps(info, indent=2) + "\n")

    say(f"starting offer-master on {master}")
    start_daemon(
        state,
        "offer-master",
        ["--host", gateway, "--port", str(MASTER_PORT), "--db", f"sqlite:///{state}/master.db"],
        # On the bridge's address, no credentials: only this machine's hosts reach it.
        "--insecure",
    )
    # Asked while the master starts (each takes a Python's start-up).
    advertise = "--advertise-address" in _help("agent.cli")
    wait_listening(state, "offer-master", gateway, MASTER_PORT)
    for host in hosts.hosts:
        argv = [
            "setsid",  # a session of its own: it outlives this command and its terminal
            sys.executable, "-m", "agent.cli",
            "--master", master,
            "--work-dir", str(state / host.name / "agent"),
            "--hostname", host.name,
            # /metrics and /health where this machine reaches them.
            "--http-host", host.address,
        ]  # fmt: skip
        if advertise:
            argv += ["--advertise-address", host.address]
        hosts.spawn(host, argv, state / f"agent-{host.name}.log")
    say(f"started an agent on each of {', '.join(h.name for h in hosts.hosts)}")

    for name, address, port, db in (
        ("offer-service", service, SERVICE_PORT, "service.db"),
        ("offer-batch", batch, BATCH_PORT, "batch.db"),
    ):
        say(f"starting {name} (control API on {address})")
        start_daemon(
            state,
            name,
            ["--master", master, "--db", f"sqlite:///{state}/{db}"],
            "--host", gateway, "--port", str(port),
        )  # fmt: skip
    return info


def check_ports_free(address: str) -> None:
    # Each daemon's gRPC port, and its HTTP port beside it.
    for port in (
        MASTER_PORT,
        SERVICE_PORT,
        BATCH_PORT,
        MASTER_PORT + 1,
        SERVICE_PORT + 1,
        BATCH_PORT + 1,
    ):
        try:
            check_port_free(address, port, flag="--subnet-index")
        except InUseError as err:
            raise ClusterError(str(err)) from None


def start_daemon(state: Path, name: str, argv: list[str], *extra: str) -> None:
    """Starts a daemon outside the hosts, detached, its pid in pids/NAME.pid
    (where the HostSet's teardown finds it too)."""
    log = state / f"{name}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", DAEMONS[name], *argv, *extra],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=state,
        start_new_session=True,
    )
    pids.record(state / "pids" / f"{name}.pid", proc.pid)
    _started[name] = proc


def wait_listening(state: Path, name: str, host: str, port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not _running(state, name):
            raise ClusterError(_exited(state, name))
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        time.sleep(0.1)
    raise ClusterError(f"{name} did not listen on {host}:{port} within {READY_TIMEOUT:g} s")


def wait_ready(info: dict[str, Any], count: int, state: Path) -> None:
    """Until `offerctl agents` lists every host's agent and both frameworks
    have registered (so that `offerctl app`/`job` find them)."""
    deadline = time.monotonic() + READY_TIMEOUT
    agents: list[str] = []
    frameworks: list[str] = []
    while time.monotonic() < deadline:
        for name in DAEMONS:
            if not _running(state, name):
                raise ClusterError(_exited(state, name))
        agents = sorted(
            a["hostname"]
            for a in _offerctl_json(info["master"], "agents")
            if str(a.get("status", "")).lower() == "active"
        )
        frameworks = sorted(
            f["name"]
            for f in _offerctl_json(info["master"], "frameworks")
            if str(f.get("status", "")).lower() == "active"
        )
        if len(agents) >= count and {"offer-service", "offer-batch"} <= set(frameworks):
            return
        time.sleep(0.25)
    missing = sorted(set(info["hosts"]) - set(agents))
    logs = ", ".join(str(state / f"agent-{h}.log") for h in missing) or "the logs"
    raise ClusterError(
        f"not ready within {READY_TIMEOUT:g} s: agents registered {agents or 'none'}, "
        f"frameworks {frameworks or 'none'}; see {logs}"
        + (f" ({_log_tail(state / f'agent-{missing[0]}.log')})" if missing else "")
    )


def _offerctl_json(master: str, what: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "offer.ctl.cli", "--master", master, what, "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=20,
    )
    if result.returncode != 0:
        return []
    try:
        rows = json.loads(result.stdout)
    except ValueError:
        return []
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _help(module: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, check=False
    )
    return result.stdout


def print_summary(info: dict[str, Any], state: Path, took: float) -> None:
    master, service, batch = info["master"], info["service"], info["batch"]
    hosts: dict[str, str] = info["hosts"]
    count = len(hosts)
    me = _command_name()
    down = f"{me} down" + ("" if str(state) == DEFAULT_STATE_DIR else f" --state-dir {state}")
    first_host, first_veth = next(iter(info["veths"].items()))
    ctl = _command_name("offerctl")
    host_list = ", ".join(f"{name} {address}" for name, address in hosts.items())
    print(
        f"""
A cluster of {count} host{"s" if count != 1 else ""} is up ({took:.0f} s); state and logs in {state}

  master         {master}
  hosts          {host_list}  (an engine and an agent each)
  registry       {info["registry"]}  image: {info["image"]}
  offer-service  {service}  (offerctl app ...)
  offer-batch    {batch}  (offerctl job ...)

Point offerctl at it:

  export OFFER_MASTER={master} OFFER_SERVICE={service} OFFER_BATCH={batch}
  {ctl} agents

Deploy an app (one instance per host) from the registry's image:

  cat > web.yaml <<'YAML'
  id: web
  image: {info["image"]}
  cmd: httpd -f -p 8080 -h /www
  cpus: 0.1
  mem: 32
  instances: {count}
  ports: [8080]
  constraints: [[hostname, UNIQUE]]
  YAML
  {ctl} app deploy web.yaml --wait
  {ctl} app show web

Build a Compose file's build: services with {first_host}'s engine, which trusts the registry:

  export OFFER_REGISTRY={info["registry"]} DOCKER_HOST={info.get("builder", "")}
  {ctl} app deploy compose.yaml --wait

Partition {first_host}: ip link set {first_veth} down   (back: ip link set {first_veth} up)
Take it all down:  {down}
""".rstrip()
        + "\n"
    )


def _command_name(name: str = PROG) -> str:
    """How the user runs `name` (a script of this install): its bare name
    when the user's PATH finds it (a global install, or this virtualenv
    activated), else its full path. (`make` puts the virtualenv on its own
    PATH only, so PATH alone does not tell.)"""
    bindir = Path(sys.executable).parent
    ours = bindir / name
    if not ours.exists():
        return name if shutil.which(name) else f"{sys.executable} -m offer.localcluster.cli"
    found = shutil.which(name)
    if found is None:
        return str(ours)
    activated = os.environ.get("VIRTUAL_ENV") == str(bindir.parent)
    return name if activated or Path(found).resolve() != ours.resolve() else str(ours)


# -- down and status ------------------------------------------------------------


def is_up(state: Path) -> bool:
    return (state / HOSTS_FILE).exists() or (state / CLUSTER_FILE).exists()


def cmd_down(state: Path) -> int:
    if not is_up(state):
        say(f"nothing was running in {state}")
        return 0
    if problem := needs_root_problem():
        raise ClusterError(f"{problem}; run it as root (sudo)")
    say(f"taking down the cluster in {state}")
    stop_all(state)
    say("done: hosts, engines, registry and daemons are gone")
    return 0


def stop_all(state: Path) -> None:
    """The frameworks first, then the agents, then the master; then the
    HostSet's teardown (engines with their containers, registry, network,
    folder)."""
    pids.stop([_daemon_pid(state, name) for name in ("offer-service", "offer-batch")], STOP_WITHIN)
    pid_files = (state / "pids").glob("*.pid")
    pids.stop([pids.running(p) for p in pid_files if p.stem not in DAEMONS], STOP_WITHIN)
    pids.stop([_daemon_pid(state, "offer-master")], STOP_WITHIN)
    if (state / HOSTS_FILE).exists():
        try:
            made = json.loads((state / HOSTS_FILE).read_text())
            hosts = HostSet(int(made["index"]), int(made["count"]), state)
        except (OSError, ValueError, KeyError, TypeError):
            teardown(state)
        else:
            # Killed first: an engine's shutdown waits on each container in turn.
            with concurrent.futures.ThreadPoolExecutor(len(hosts.hosts)) as pool:
                list(pool.map(_kill_containers, hosts.engines.values()))
            hosts.down()  # the engines stop all at once, then teardown()
    else:  # a crash between the folder and the hosts: nothing but files
        shutil.rmtree(state, ignore_errors=True)


def _kill_containers(engine: HostEngine) -> None:
    if not engine.answers():
        return
    with (
        contextlib.suppress(docker.errors.DockerException, requests.RequestException),
        contextlib.closing(engine.client(timeout=10)) as client,
    ):
        for container in client.containers.list():
            with contextlib.suppress(docker.errors.DockerException):
                container.kill()


def cmd_status(state: Path) -> int:
    if not (state / CLUSTER_FILE).exists():
        say(f"no cluster is up in {state} (start one with `{_command_name()} up`)")
        return 1
    info = json.loads((state / CLUSTER_FILE).read_text())
    ok = True
    print(f"cluster in {state}, network 10.231.{info['index']}.0/24")
    for name, address in (
        ("offer-master", info["master"]),
        ("offer-service", info["service"]),
        ("offer-batch", info["batch"]),
    ):
        alive = _running(state, name)
        ok &= alive
        print(f"  {name:<14} {address:<22} {'running' if alive else 'NOT RUNNING'}")
    registered = {a["hostname"]: a for a in _offerctl_json(info["master"], "agents")}
    for name, address in info["hosts"].items():
        agent = registered.get(name)
        seen = str(agent.get("status", "?")).lower() if agent else "not registered"
        ok &= seen == "active"
        print(f"  {name:<14} {address:<22} agent {seen}")
    print(f"  {'registry':<14} {info['registry']:<22} image {info['image']}")
    print(f"\n  export OFFER_MASTER={info['master']}")
    return 0 if ok else 1


# -- helpers --------------------------------------------------------------------


def say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def _running(state: Path, name: str) -> bool:
    """Whether a daemon runs: asked of its Popen if this process started it
    (its /proc entry may not show the new command line yet), else of /proc."""
    proc = _started.get(name)
    if proc is not None:
        return proc.poll() is None
    return pids.alive(_daemon_pid(state, name))


def _daemon_pid(state: Path, name: str) -> int:
    """The recorded pid of a daemon, 0 unless that same process still runs
    (a pid reused since, by another program, is not ours to signal)."""
    return pids.running(state / "pids" / f"{name}.pid")


def _exited(state: Path, name: str) -> str:
    """`NAME exited (status N): the end of its log`."""
    proc = _started.get(name)
    code = proc.poll() if proc is not None else None
    status = ""
    if code is not None:
        status = f" (killed by signal {-code})" if code < 0 else f" (status {code})"
    return f"{name} exited{status}: {_log_tail(state / f'{name}.log')}"


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return f"no log at {path}"
    tail = " | ".join(line.strip() for line in text[-lines:])
    return f"{tail} (log: {path})" if tail else f"nothing in {path}"


if __name__ == "__main__":
    main()
