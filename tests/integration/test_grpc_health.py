"""grpc.health.v1 and server reflection, asked with their real clients
(grpc_health's and grpc_reflection's stubs, as grpc_health_probe and
grpcurl do) of real master and framework processes: SERVING once the state
is loaded, NOT_SERVING on a standby and while draining, answered without
credentials, and every service described by reflection."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from offer.v1 import operator_pb2, operator_pb2_grpc
from tests.support.cluster import Cluster, wait_for
from tests.support.ha import HaMasters

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
MASTER_SERVICES = ("offer.v1.Scheduler", "offer.v1.Agent", "offer.v1.Operator")
OPEN_SERVICES = ("grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection")


def check(address: str, service: str = "") -> int:
    with grpc.insecure_channel(address) as channel:
        answer = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=5
        )
    return int(answer.status)


def statuses(address: str, services: tuple[str, ...]) -> dict[str, int]:
    """Health of the server overall ("") and of each service."""
    return {name: check(address, name) for name in ("", *services)}


def listed_services(address: str) -> list[str]:
    with grpc.insecure_channel(address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        [answer] = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    return sorted(s.name for s in answer.list_services_response.service)


class Watch:
    """A Health.Watch stream of the overall status, read in a thread: the
    statuses in the order the server sent them, until it closed the stream."""

    def __init__(self, address: str) -> None:
        self.seen: list[int] = []
        self.changed = threading.Condition()
        self._channel = grpc.insecure_channel(address)
        self._call = health_pb2_grpc.HealthStub(self._channel).Watch(
            health_pb2.HealthCheckRequest(service="")
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for answer in self._call:
                with self.changed:
                    self.seen.append(int(answer.status))
                    self.changed.notify_all()
        except grpc.RpcError:
            pass  # the server went away, or close() cancelled the call

    def wait_for(self, status: int, timeout: float = 20.0) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: status in self.seen, timeout):
                raise TimeoutError(f"Health.Watch never said {status}; it said {self.seen}")

    def close(self) -> None:
        self._call.cancel()
        self._channel.close()


@pytest.fixture
def watches() -> Iterator[list[Watch]]:
    opened: list[Watch] = []
    yield opened
    for watch in opened:
        watch.close()


def test_master_serves_health_and_reflection_and_says_not_serving_while_draining(
    cluster: Cluster, watches: list[Watch]
) -> None:
    cluster.start_master()
    assert statuses(cluster.address, MASTER_SERVICES) == dict.fromkeys(
        ("", *MASTER_SERVICES), SERVING
    )
    with pytest.raises(grpc.RpcError) as unknown:
        check(cluster.address, "offer.v1.Nothing")
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND

    assert listed_services(cluster.address) == sorted((*MASTER_SERVICES, *OPEN_SERVICES))
    # Described as grpcurl describes it: the service's file through
    # reflection, and every message it names (its dependencies too).
    with grpc.insecure_channel(cluster.address) as channel:
        pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        operator = pool.FindServiceByName("offer.v1.Operator")
        methods = {m.name: m for m in operator.methods}
        assert {"ListAgents", "GetStatus", "WatchEvents"} <= set(methods)
        assert methods["WatchEvents"].output_type.full_name == "offer.v1.ClusterEvent"
        agent_info = pool.FindMessageTypeByName("offer.v1.AgentInfo")
        assert "drain_deadline" in agent_info.fields_by_name

    # SIGTERM: the watch hears NOT_SERVING before the server goes away.
    watch = Watch(cluster.address)
    watches.append(watch)
    watch.wait_for(SERVING)
    assert cluster.master is not None
    cluster.master.popen.send_signal(signal.SIGTERM)
    watch.wait_for(NOT_SERVING)
    assert cluster.master.popen.wait(20) == 0


def test_health_and_reflection_need_no_credentials_where_every_other_call_does(
    cluster: Cluster,
) -> None:
    cluster.start_secure_master()
    # No credentials, as a load balancer's or Kubernetes' probe asks.
    assert check(cluster.address) == SERVING
    assert "offer.v1.Operator" in listed_services(cluster.address)
    with grpc.insecure_channel(cluster.address) as channel:
        stub = operator_pb2_grpc.OperatorStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListAgents(operator_pb2.ListAgentsRequest(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_standby_is_not_serving_until_it_leads(masters: HaMasters, watches: list[Watch]) -> None:
    first = masters.start()
    wait_for(lambda: masters.leads(first), what=f"{first} to lead")
    second = masters.start()
    wait_for(lambda: masters.role(second) is not None, what=f"{second} to answer")
    assert statuses(first, MASTER_SERVICES) == dict.fromkeys(("", *MASTER_SERVICES), SERVING)
    assert statuses(second, MASTER_SERVICES) == dict.fromkeys(("", *MASTER_SERVICES), NOT_SERVING)
    # A standby is described like a leader: reflection says what it is.
    assert "offer.v1.Scheduler" in listed_services(second)

    watch = Watch(second)
    watches.append(watch)
    watch.wait_for(NOT_SERVING)
    masters.kill(first)
    watch.wait_for(SERVING)
    assert statuses(second, MASTER_SERVICES) == dict.fromkeys(("", *MASTER_SERVICES), SERVING)


@pytest.mark.parametrize(
    ("start", "control"),
    [("start_service", "offer.v1.ServiceControl"), ("start_batch", "offer.v1.BatchControl")],
)
def test_a_framework_control_api_serves_health_and_reflection(
    cluster: Cluster, watches: list[Watch], start: str, control: str
) -> None:
    cluster.start_master()
    proc = getattr(cluster, start)()
    address = cluster.service_address if start == "start_service" else cluster.batch_address
    assert statuses(address, (control,)) == {"": SERVING, control: SERVING}
    assert listed_services(address) == sorted((control, *OPEN_SERVICES))
    with grpc.insecure_channel(address) as channel:
        pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        assert pool.FindServiceByName(control).methods

    watch = Watch(address)
    watches.append(watch)
    watch.wait_for(SERVING)
    proc.popen.send_signal(signal.SIGTERM)
    watch.wait_for(NOT_SERVING)
    assert proc.popen.wait(20) == 0
