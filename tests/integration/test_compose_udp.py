"""A Compose UDP port end to end: offered by the agent, published by the
engine on the agent's address, and a datagram sent to that host port
reaches the process in the container (busybox's DHCP server, which logs
what it answers)."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

from tests.frameworks.service.test_service import until_running
from tests.support.cluster import Cluster, free_ports, wait_for

CORPUS = Path(__file__).parents[1] / "data" / "compose" / "udp"
# The client the server holds a static lease for (the corpus file's).
CLIENT_MAC = bytes.fromhex("020000000001")


def dhcp_discover() -> bytes:
    """A DHCPDISCOVER from CLIENT_MAC through a relay at 127.0.0.1 (giaddr),
    to which the server sends its OFFER: its own loopback."""
    relay = struct.unpack("!I", socket.inet_aton("127.0.0.1"))[0]
    header = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, 0x0FFE4, 0, 0, 0, 0, 0, relay)
    chaddr = CLIENT_MAC + bytes(10)
    cookie, message_type = bytes([99, 130, 83, 99]), bytes([53, 1, 1, 255])
    return header + chaddr + bytes(64 + 128) + cookie + message_type


def test_a_udp_port_is_offered_published_and_reached(cluster: Cluster) -> None:
    cluster.start_master()
    ports = free_ports(2)  # "ports:[a,b]"
    cluster.start_agent(f"cpus:1;mem:256;{ports}")
    cluster.start_service()
    offered = {int(p) for p in ports.removeprefix("ports:[").rstrip("]").split(",")}
    done = cluster.app("deploy", str(CORPUS / "compose.yaml"))
    assert done.returncode == 0, done.stderr
    [task] = until_running(cluster, 1, "dhcp")
    [host_port] = task["host_ports"]
    assert host_port in offered

    [container] = cluster.containers()
    bindings = cluster.inspect(container["Id"])["HostConfig"]["PortBindings"]
    assert bindings == {"67/udp": [{"HostIp": "127.0.0.1", "HostPort": str(host_port)}]}

    def answered() -> str | None:
        # Sent again until the server, which starts just after RUNNING, logs its answer.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(dhcp_discover(), ("127.0.0.1", host_port))
        out = cluster.offerctl("logs", task["task_id"]).stdout
        return out if "sending OFFER to 192.168.77.21" in out else None

    wait_for(answered, 15, "the datagram to reach the server in the container")
