"""Compose volumes as app volumes, and the planner's pinning of instances
with named volumes to their agents. Pure: no processes."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from frameworks.checks import SpecError
from frameworks.sdk import Offer, Resources
from frameworks.service.documents import parse_apps
from frameworks.service.planner import AppView, InstanceView, bounds, plan
from frameworks.service.spec import AppSpec, parse_app
from frameworks.service.store import AppRecord, InstanceRecord, ServiceStore, VolumeClaim
from offer.tasks import NamedVolume, TaskState, Volume

CORPUS = Path(__file__).parents[2] / "data" / "compose" / "volumes"
NOW = 1000.0


def test_short_and_long_syntax_become_named_volumes_and_bind_mounts() -> None:
    [web] = parse_apps((CORPUS / "compose.yaml").read_text())
    assert [v.model_dump() for v in web.volumes] == [
        {"container_path": "/data", "name": "data", "host_path": "", "read_only": False},
        {"container_path": "/cache", "name": "cache", "host_path": "", "read_only": True},
    ]
    [bound] = parse_apps((CORPUS / "bind.yaml").read_text())
    assert [(v.host_path, v.container_path, v.read_only) for v in bound.volumes] == [
        ("/tmp", "/host-tmp", True),
        ("/tmp", "/host-tmp-rw", False),
    ]


def test_the_task_carries_bind_mounts_and_each_instance_its_own_volumes() -> None:
    spec = parse_app(
        {
            "id": "db",
            "image": "img",
            "volumes": [
                {"name": "data", "container_path": "/data"},
                {"host_path": "/srv", "container_path": "/srv", "read_only": True},
            ],
        }
    )
    task = spec.task("db.1")
    assert task.volumes == (Volume("/srv", "/srv", True),)
    assert spec.named_volumes(2) == (NamedVolume("db.2.data", "/data"),)
    assert spec.has_named_volumes


REFUSED = [
    ("volumes: ['./data:/data']", "bind mount source './data' is relative"),
    ("volumes: ['~/data:/data']", "bind mount source '~/data' is relative"),
    ("volumes: ['/srv:/data:z']", "mode 'z' is not supported (only ro and rw)"),
    ("volumes: ['data:/data:nocopy']", "mode 'nocopy' is not supported"),
    ("volumes: ['undeclared:/data']", "named volume 'undeclared' is not declared"),
    ("volumes: [{type: tmpfs, target: /t}]", "volumes[0]: type tmpfs: a tmpfs mount"),
    ("volumes: [{type: npipe, source: p, target: /p}]", "type npipe: named pipes are Windows"),
    ("volumes: [{type: cluster, source: c, target: /c}]", "type cluster: cluster volumes"),
    ("volumes: [{type: image, source: i, target: /i}]", "type image: image mounts"),
    (
        "volumes: [{type: volume, source: data, target: /d, volume: {nocopy: true}}]",
        "volumes[0]: volume: volume options (nocopy, subpath) are not supported",
    ),
    (
        "volumes: [{type: bind, source: /s, target: /d, bind: {propagation: shared}}]",
        "volumes[0]: bind: bind options",
    ),
    (
        "volumes: [{type: bind, source: /s, target: /d, consistency: cached}]",
        "consistency: consistency is a Docker Desktop option",
    ),
    ("volumes: ['data:relative']", "target 'relative' is not an absolute path"),
]
TOP_REFUSED = [
    ("data: {driver: nfs}", "volumes.data.driver: only the engine's own driver (local)"),
    ("data: {driver_opts: {type: nfs}}", "volumes.data.driver_opts: not supported"),
    ("data: {external: true}", "volumes.data.external: not supported: a volume made outside"),
    ("data: {name: shared-data}", "volumes.data.name: not supported: the agent names"),
    ("data: {labels: {a: b}}", "volumes.data.labels: not supported"),
    ("_data: {}", "volumes._data: a volume name must be 1-48 letters"),
]


@pytest.mark.parametrize(("line", "error"), REFUSED)
def test_each_unsupported_service_volume_is_refused_by_name(line: str, error: str) -> None:
    with pytest.raises(SpecError, match=r"^services\.web\.volumes") as refused:
        parse_apps(f"services:\n  web:\n    image: img\n    {line}\nvolumes: {{data: {{}}}}\n")
    assert error in str(refused.value)


@pytest.mark.parametrize(("line", "error"), TOP_REFUSED)
def test_each_unsupported_top_level_volume_key_is_refused_by_name(line: str, error: str) -> None:
    with pytest.raises(SpecError) as refused:
        parse_apps(f"services:\n  web:\n    image: img\nvolumes:\n  {line}\n")
    assert error in str(refused.value)


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS / "refused").glob("*.yaml")))
def test_the_corpus_refusals_name_what_is_refused(name: str) -> None:
    text = (CORPUS / "refused" / name).read_text()
    expected = next(line for line in text.splitlines() if line.startswith("# refused: "))
    with pytest.raises(SpecError) as refused:
        parse_apps(text)
    assert expected.removeprefix("# refused: ") in str(refused.value)


def test_start_first_is_refused_with_named_volumes() -> None:
    with pytest.raises(SpecError, match="order: start-first would run a second container"):
        parse_apps(
            "services:\n  web:\n    image: img\n    volumes: [data:/d]\n"
            "    deploy: {update_config: {order: start-first}}\nvolumes: {data: {}}\n"
        )


def test_a_v1_file_needs_no_declaration() -> None:
    [web] = parse_apps("web:\n  image: img\n  volumes: ['data:/d']\n")
    assert web.volumes[0].name == "data"


@pytest.mark.parametrize(
    ("volumes", "error"),
    [
        ([{"name": "a", "host_path": "/x", "container_path": "/d"}], "give one of name"),
        ([{"name": "a b", "container_path": "/d"}], "'a b' is not 1-48 letters"),
        ([{"host_path": "rel", "container_path": "/d"}], "'rel' is not an absolute path"),
        ([{"name": "a", "container_path": "d"}], "'d' is not an absolute path inside"),
        (
            [{"name": "a", "container_path": "/d"}, {"name": "b", "container_path": "/d/"}],
            "volumes: '/d' is mounted twice",
        ),
    ],
)
def test_app_volumes_are_checked(volumes: list[dict[str, str]], error: str) -> None:
    with pytest.raises(SpecError) as refused:
        parse_app({"id": "web", "image": "img", "volumes": volumes})
    assert error in str(refused.value)


# ------------------------------------------------------------------ pinning


def ids() -> Callable[[str], str]:
    counter = itertools.count(1)
    return lambda app: f"{app}.{next(counter)}"


def offer(n: int, cpus: float = 1) -> Offer:
    return Offer(f"o{n}", f"a{n}", f"h{n}", Resources(cpus, 512), {})


def with_volumes(instances: int, **fields: object) -> AppSpec:
    return AppSpec(
        id="db",
        image="img",
        instances=instances,
        cpus=0.25,
        volumes=[{"name": "data", "container_path": "/data"}],  # type: ignore[list-item]
        **fields,  # type: ignore[arg-type]
    )


def running(
    spec: AppSpec, slot: int, agent: int, version: str = "", created: float = 0.0
) -> InstanceView:
    return InstanceView(
        f"db.r{slot}",
        "db",
        version or spec.version,
        TaskState.RUNNING,
        f"h{agent}",
        {},
        None,
        created or float(slot),
        agent_id=f"a{agent}",
        slot=slot,
    )


def test_new_instances_take_free_slots_and_name_their_volumes_by_slot() -> None:
    spec = with_volumes(3)
    view = AppView(spec, spec.version, [running(spec, 1, 1)])
    p = plan([view], [offer(1), offer(2)], NOW, ids())
    launched = [t for _, tasks in p.launches.values() for _, t in tasks]
    assert sorted(p.slots.values()) == [0, 2]
    for task in launched:
        assert task.named_volumes == (NamedVolume(f"db.{p.slots[task.task_id]}.data", "/data"),)


def test_a_pinned_instance_goes_back_to_its_agent_and_nowhere_else() -> None:
    spec = with_volumes(2)
    view = AppView(spec, spec.version, [], volume_agents={0: ("a2", "h2"), 1: ("a9", "h9")})
    p = plan([view], [offer(1, cpus=4), offer(2)], NOW, ids())
    assert {oid: [t.task_id for _, t in ts] for oid, (_, ts) in p.launches.items()} == {
        "o2": ["db.1"]
    }
    assert p.slots == {"db.1": 0}
    # Instance 1 waits for its agent, though agent a1 has room: as Marathon.
    assert p.waiting["db"] == (
        "waiting for the agent that holds its volumes: instance 1 for agent h9 (a9) (an "
        "instance with named volumes is launched only where they are)"
    )
    assert p.wants_offers


def test_named_volumes_leave_no_room_over_instances_so_updates_stop_first() -> None:
    spec = with_volumes(2)
    assert bounds(spec) == (1, 2)  # maximum_over_capacity 1.0 is not applied
    old = [running(spec, 0, 1, version="old"), running(spec, 1, 1, version="old")]
    p = plan([AppView(spec, spec.version, old)], [offer(1, cpus=4)], NOW, ids())
    assert p.launches == {} and p.kills == ["db.r0"]  # one goes, then its slot is free


def test_scale_down_kills_the_highest_instances_not_the_newest() -> None:
    spec = with_volumes(1)
    live = [running(spec, 1, 1, created=1.0), running(spec, 0, 1, created=2.0)]
    p = plan([AppView(spec, spec.version, live)], [], NOW, ids())
    assert p.kills == ["db.r1"]


def test_volume_claims_are_kept_with_their_instances_and_go_with_the_app(tmp_path: Path) -> None:
    store = ServiceStore(f"sqlite:///{tmp_path / 'service.db'}")
    spec = with_volumes(1)
    store.save_app(AppRecord(spec))
    claim = VolumeClaim("db", 0, "a1", "h1", NOW)
    store.save((), [InstanceRecord("db.1", "db", "v", NOW, agent_id="a1", slot=0)], [claim])
    _, _, [inst] = store.load()
    assert inst.slot == 0 and store.claims() == [claim]
    store.delete_app("db")
    assert store.claims() == []
