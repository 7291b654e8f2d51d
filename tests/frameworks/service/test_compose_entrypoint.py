"""Compose `entrypoint` as the app's entrypoint, and the task field on the
wire both ways. Pure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from frameworks.checks import SpecError
from frameworks.service.documents import parse_apps
from frameworks.service.spec import parse_app
from offer import wire
from offer.resources import Resources
from offer.tasks import NamedVolume, TaskSpec, Volume

SERVICE = "services:\n  web:\n    image: img\n    {}\n"


@pytest.mark.parametrize(
    ("line", "entrypoint"),
    [
        ("entrypoint: /bin/run --fast 'two words'", ["/bin/run", "--fast", "two words"]),
        ("entrypoint: [/bin/run, --fast]", ["/bin/run", "--fast"]),
        ("entrypoint: []", [""]),
        ("entrypoint: ''", [""]),
    ],
)
def test_compose_entrypoint_forms(line: str, entrypoint: list[str]) -> None:
    [web] = parse_apps(SERVICE.format(line))
    assert web.entrypoint == entrypoint
    assert web.task("web.1").entrypoint == tuple(entrypoint)


def test_no_entrypoint_keeps_the_images() -> None:
    [web] = parse_apps(SERVICE.format("command: [a]"))
    assert web.entrypoint == [] and web.task("web.1").entrypoint == ()


def test_an_app_with_an_entrypoint_takes_its_arguments_as_a_list() -> None:
    with pytest.raises(SpecError, match="cmd: with an entrypoint, give cmd as a list"):
        parse_app({"id": "web", "image": "img", "entrypoint": ["/run"], "cmd": "a b"})
    assert parse_app({"id": "web", "image": "img", "entrypoint": ["/run"], "cmd": ["a"]}).cmd


def test_an_app_deployed_before_entrypoint_existed_keeps_its_version() -> None:
    before = parse_app({"id": "web", "image": "img"})
    assert parse_app({"id": "web", "image": "img", "entrypoint": []}).version == before.version
    assert parse_app({"id": "web", "image": "img", "entrypoint": ["x"]}).version != before.version


def test_entrypoint_and_both_kinds_of_volume_cross_the_wire_both_ways() -> None:
    spec = replace(
        TaskSpec("t", "t", Resources(0.1, 32), "img", ("a",)),
        entrypoint=("/bin/sh", "-c"),
        volumes=(Volume("/srv", "/srv", True),),
        named_volumes=(NamedVolume("web.0.data", "/data"),),
    )
    assert wire.task_from_pb(wire.task_to_pb(spec)) == spec
    assert wire.spec_from_json(wire.spec_to_json(spec)) == spec
    [bind, named] = wire.task_to_pb(spec).container.volumes
    assert (bind.host_path, bind.volume_name) == ("/srv", "")
    assert (named.host_path, named.volume_name) == ("", "web.0.data")
