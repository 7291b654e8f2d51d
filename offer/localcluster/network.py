"""Hosts on one machine: a bridge and a network namespace per host.

Each host is a namespace with a veth into the bridge and an address on a
/24 of the project's own test network (10.231.N.0/24); the bridge holds
.1, host k holds .(k+1). Everything made is named after N, so that a set
left by a killed run is found and removed by the next one.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

NETWORK = "10.231"
NETNS_DIR = Path("/var/run/netns")


class HostSetupError(RuntimeError):
    """A command that makes the hosts failed; the message quotes it."""


def run(argv: Sequence[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise HostSetupError(f"`{' '.join(argv)}` failed: {result.stderr.strip()}")
    return result


@dataclass(frozen=True, slots=True)
class Host:
    """One namespace: its name, address and the bridge side of its veth."""

    name: str
    netns: str
    address: str
    veth: str

    @property
    def netns_path(self) -> Path:
        return NETNS_DIR / self.netns

    def argv(self, command: Sequence[str]) -> list[str]:
        """`command` run in this host's network namespace. nsenter, not
        `ip netns exec`, which remounts /sys and hides the cgroups dockerd
        needs."""
        return ["nsenter", f"--net={self.netns_path}", *command]


class Network:
    """The bridge and `count` hosts of set `index` (0-254)."""

    def __init__(self, index: int, count: int) -> None:
        if not 0 <= index <= 254 or not 1 <= count <= 250:
            raise ValueError("a set index is 0-254 and holds 1-250 hosts")
        self.index = index
        self.bridge = f"ocbr{index}"
        self.gateway = f"{NETWORK}.{index}.1"
        self.hosts = [
            Host(f"h{k}", f"oc{index}-h{k}", f"{NETWORK}.{index}.{k + 1}", f"oc{index}v{k}")
            for k in range(1, count + 1)
        ]

    def create(self) -> None:
        self.destroy()  # whatever a killed run left under these names
        run(["ip", "link", "add", self.bridge, "type", "bridge"])
        run(["ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge])
        run(["ip", "link", "set", self.bridge, "up"])
        # Frames crossing a bridge pass the host's FORWARD chain
        # (bridge-nf-call-iptables), whose policy a Docker engine sets to DROP.
        run(["iptables", "-I", "FORWARD", "-i", self.bridge, "-o", self.bridge, "-j", "ACCEPT"])
        for host in self.hosts:
            run(["ip", "netns", "add", host.netns])
            veth = ["type", "veth", "peer", "name", "eth0", "netns", host.netns]
            run(["ip", "link", "add", host.veth, *veth])
            run(["ip", "link", "set", host.veth, "master", self.bridge, "up"])
            inside = [
                ["ip", "addr", "add", f"{host.address}/24", "dev", "eth0"],
                ["ip", "link", "set", "eth0", "up"],
                ["ip", "link", "set", "lo", "up"],
                ["ip", "route", "add", "default", "via", self.gateway],
            ]
            for command in inside:
                run(host.argv(command))

    def destroy(self) -> None:
        """Removes the namespaces, veths, bridge and forwarding rule; quiet
        about what is already gone."""
        for host in self.hosts:
            run(["ip", "netns", "del", host.netns], check=False)
            run(["ip", "link", "del", host.veth], check=False)
        run(["ip", "link", "del", self.bridge], check=False)
        rule = ["FORWARD", "-i", self.bridge, "-o", self.bridge, "-j", "ACCEPT"]
        while run(["iptables", "-D", *rule], check=False).returncode == 0:
            pass

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if name in (host.name, host.address):
                return host
        raise KeyError(f"no host {name!r}; hosts are {[h.name for h in self.hosts]}")

    def partition(self, host: Host) -> None:
        """Cuts the host off from every other (its cable pulled)."""
        run(["ip", "link", "set", host.veth, "down"])

    def heal(self, host: Host) -> None:
        run(["ip", "link", "set", host.veth, "up"])

    def block(self, host: Host, address: str, port: int) -> None:
        """Drops what `host` sends to address:port: that one peer is
        unreachable from this host only."""
        run(host.argv(_rule("-I", address, port)))

    def unblock(self, host: Host, address: str, port: int) -> None:
        with contextlib.suppress(HostSetupError):
            run(host.argv(_rule("-D", address, port)))

    def unblock_all(self, host: Host) -> None:
        run(host.argv(["iptables", "-F", "OUTPUT"]), check=False)


def _rule(op: str, address: str, port: int) -> list[str]:
    match = ["-d", address, "-p", "tcp", "--dport", str(port)]
    return ["iptables", op, "OUTPUT", *match, "-j", "DROP"]
