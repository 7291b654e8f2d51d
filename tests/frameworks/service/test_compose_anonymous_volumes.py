"""Anonymous volumes (`- /path`, or `type: volume` without a source), as
Docker makes them: the app volume has neither name nor host_path, the task
carries it (on the wire, a Volume with neither host_path nor volume_name),
the master accepts it without the host_mounts grant, and the agent asks
the engine for a sourceless volume. Pure: no processes."""

from __future__ import annotations

from pathlib import Path

from agent.containerizer.volumes import anonymous_volume_mounts
from frameworks.service.documents import parse_apps
from master.validation import check_task
from offer import wire
from offer.resources import Resources
from offer.security.acl import Acls
from offer.tasks import AnonymousVolume, NamedVolume, TaskSpec, Volume

CORPUS = Path(__file__).parents[2] / "data" / "compose" / "anonymous"


def test_short_and_long_syntax_become_anonymous_app_volumes() -> None:
    [web] = parse_apps((CORPUS / "compose.yaml").read_text())
    assert [v.model_dump() for v in web.volumes] == [
        {"container_path": "/bin", "name": "", "host_path": "", "read_only": False},
        {"container_path": "/cache", "name": "", "host_path": "", "read_only": False},
    ]
    task = web.task("web.1")
    assert task.anonymous_volumes == (AnonymousVolume("/bin"), AnonymousVolume("/cache"))
    assert (task.volumes, task.named_volumes) == ((), ())
    assert not web.has_named_volumes  # nothing to pin: a replacement may go anywhere


def _task(**given: object) -> TaskSpec:
    return TaskSpec("t", "t", Resources(0.1, 32.0), "img", **given)  # type: ignore[arg-type]


def test_the_wire_carries_the_three_kinds_apart_both_ways() -> None:
    spec = _task(
        volumes=(Volume("/srv", "/srv", True),),
        named_volumes=(NamedVolume("data", "/data"),),
        anonymous_volumes=(AnonymousVolume("/cache"), AnonymousVolume("/ro", True)),
    )
    msg = wire.task_to_pb(spec)
    assert [(v.host_path, v.volume_name, v.container_path) for v in msg.container.volumes] == [
        ("/srv", "", "/srv"),
        ("", "data", "/data"),
        ("", "", "/cache"),
        ("", "", "/ro"),
    ]
    assert wire.task_from_pb(msg) == spec
    assert wire.spec_from_json(wire.spec_to_json(spec)) == spec


def test_the_master_wants_an_absolute_path_and_no_grant() -> None:
    assert check_task(_task(anonymous_volumes=(AnonymousVolume("/cache"),))) is None
    problem = check_task(_task(anonymous_volumes=(AnonymousVolume("cache"),)))
    assert problem is not None and "an anonymous volume" in problem and "'cache'" in problem
    twice = _task(volumes=(Volume("/srv", "/d"),), anonymous_volumes=(AnonymousVolume("/d"),))
    assert "mounts '/d' twice" in (check_task(twice) or "")
    no_grants = Acls.parse("register_frameworks: [{principals: '*', roles: '*'}]")
    assert (
        no_grants.container_problem("*", _task(anonymous_volumes=(AnonymousVolume("/c"),))) is None
    )


def test_the_agent_asks_for_a_sourceless_engine_volume() -> None:
    [mount] = anonymous_volume_mounts("fw-1", _task(anonymous_volumes=(AnonymousVolume("/c"),)))
    assert (mount["Type"], mount["Source"], mount["Target"], mount["ReadOnly"]) == (
        "volume",
        None,
        "/c",
        False,
    )
    assert mount["VolumeOptions"]["Labels"] == {"offer.framework_id": "fw-1"}
