"""Random and malformed messages to every RPC of a real master, for a
bounded number of calls (hypothesis). Afterwards the master still serves,
what offerctl shows agrees with its database, and nothing it had was lost."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offer.v1 import agent_pb2, operator_pb2, scheduler_pb2
from tests.support.cluster import Cluster, wait_for

FD = FieldDescriptor
SERVICES = [
    agent_pb2.DESCRIPTOR.services_by_name["Agent"],
    operator_pb2.DESCRIPTOR.services_by_name["Operator"],
    scheduler_pb2.DESCRIPTOR.services_by_name["Scheduler"],
]
METHODS = [m for service in SERVICES for m in service.methods]
CALL_TIMEOUT = 1.0

_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-._"
strings = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=_ID_CHARS, min_size=1, max_size=24),
    st.just(""),
    st.just("x" * 300),
    st.just("\x00"),
)
_INTS = {
    FD.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FD.TYPE_SINT32: st.integers(-(2**31), 2**31 - 1),
    FD.TYPE_ENUM: st.integers(-(2**31), 2**31 - 1),
    FD.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FD.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FD.TYPE_UINT64: st.integers(0, 2**64 - 1),
}


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FD.TYPE_STRING:
        return strings
    if kind == FD.TYPE_BYTES:
        return st.binary(max_size=64)
    if kind == FD.TYPE_BOOL:
        return st.booleans()
    if kind == FD.TYPE_DOUBLE:
        return st.floats(allow_nan=True, allow_infinity=True)
    if kind == FD.TYPE_FLOAT:
        return st.floats(allow_nan=True, allow_infinity=True, width=32)
    return _INTS[kind]


@st.composite
def messages(draw: st.DrawFn, cls: type[Message], depth: int = 0) -> Message:
    """Any message of this type: each field set or not, to any value of its
    type (NaN, huge, negative, empty, NUL ...), nested up to 3 deep."""
    msg = cls()
    for field in cls.DESCRIPTOR.fields:
        if not draw(st.booleans()):
            continue
        target = getattr(msg, field.name)
        sub = field.message_type
        if sub is not None and sub.GetOptions().map_entry:
            key_field, value_field = sub.fields_by_name["key"], sub.fields_by_name["value"]
            for key in draw(st.lists(_scalar(key_field), max_size=3)):
                if value_field.message_type is None:
                    target[key] = draw(_scalar(value_field))
                else:
                    target[key].CopyFrom(draw(messages(_class(value_field), depth + 1)))
        elif field.is_repeated:
            if sub is None:
                target.extend(draw(st.lists(_scalar(field), max_size=3)))
            elif depth < 3:
                for _ in range(draw(st.integers(0, 2))):
                    target.add().CopyFrom(draw(messages(_class(field), depth + 1)))
        elif sub is not None:
            if depth < 3:
                target.CopyFrom(draw(messages(_class(field), depth + 1)))
        else:
            setattr(msg, field.name, draw(_scalar(field)))
    return msg


def _class(field: FieldDescriptor) -> type[Message]:
    return message_factory.GetMessageClass(field.message_type)  # type: ignore[no-any-return]


@st.composite
def calls(draw: st.DrawFn) -> tuple[MethodDescriptor, bytes]:
    """An RPC and what to send it: a random message, or bytes that may not
    even be protobuf."""
    method = draw(st.sampled_from(METHODS))
    if draw(st.integers(0, 9)) == 0:
        return method, draw(st.binary(max_size=128))
    request = draw(messages(message_factory.GetMessageClass(method.input_type)))
    return method, request.SerializeToString()


def send(channel: grpc.Channel, method: MethodDescriptor, payload: bytes) -> None:
    path = f"/{method.containing_service.full_name}/{method.name}"
    raw = {"request_serializer": None, "response_deserializer": None}
    try:
        if method.client_streaming:
            stream = channel.stream_stream(path, **raw)(
                iter([payload, payload]), timeout=CALL_TIMEOUT
            )
            _first(stream)
        elif method.server_streaming:
            _first(channel.unary_stream(path, **raw)(payload, timeout=CALL_TIMEOUT))
        else:
            channel.unary_unary(path, **raw)(payload, timeout=CALL_TIMEOUT)
    except grpc.RpcError as err:
        # Any refusal is fine; the master must not fail inside.
        assert err.code() != grpc.StatusCode.UNKNOWN, f"{path} raised: {err.details()}"


def _first(stream: Iterator[bytes]) -> None:
    try:
        next(stream, None)
    finally:
        stream.cancel()  # type: ignore[attr-defined]


def _database(cluster: Cluster) -> dict[str, set[Any]]:
    db = sqlite3.connect(cluster.db_url.removeprefix("sqlite:///"))
    try:
        return {
            "agents": {r[0] for r in db.execute("SELECT agent_id FROM agents")},
            "frameworks": {r[0] for r in db.execute("SELECT framework_id FROM frameworks")},
            "tasks": {(r[0], r[1]) for r in db.execute("SELECT framework_id, task_id FROM tasks")},
        }
    finally:
        db.close()


def _offerctl(cluster: Cluster) -> dict[str, set[Any]]:
    return {
        "agents": {a["agent_id"] for a in cluster.offerctl_json("agents")},
        "frameworks": {f["framework_id"] for f in cluster.offerctl_json("frameworks")},
        "tasks": {(t["framework_id"], t["task_id"]) for t in cluster.offerctl_json("tasks")},
    }


def test_random_and_malformed_messages_to_every_rpc(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_agent()
    cluster.start_batch()
    job = cluster.root / "job.yaml"
    job.write_text("{name: keep, image: offer-test/busybox:latest, cmd: sleep 300}")
    assert cluster.job("submit", str(job)).returncode == 0
    assert cluster.job("run", "keep").returncode == 0
    wait_for(
        lambda: [t for t in cluster.list("tasks") if t.status.state == 3], 30, "a running task"
    )
    before = _offerctl(cluster)

    with grpc.insecure_channel(cluster.address) as channel:

        @settings(
            max_examples=300,
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
        )
        @given(calls())
        def fuzz(call: tuple[MethodDescriptor, bytes]) -> None:
            send(channel, *call)
            assert cluster.master is not None and cluster.master.popen.poll() is None

        fuzz()

    # Still serving; nothing it had is gone; offerctl and the database agree.
    after = wait_for(
        lambda: (seen := _offerctl(cluster)) == _database(cluster) and seen,
        20,
        "offerctl to agree with the database",
    )
    for kind in ("agents", "frameworks", "tasks"):
        assert before[kind] <= after[kind], f"{kind} lost: {before[kind] - after[kind]}"
    running = [t for t in cluster.list("tasks") if t.status.state == 3]
    assert running, "the running task was lost"
    assert cluster.job("list").returncode == 0
