"""Compose files checked against compose-spec's official JSON Schema
(vendored): refused before mapping, naming the path. Pure."""

from __future__ import annotations

import pytest

from frameworks.checks import SpecError
from frameworks.service.documents import parse_apps

S = "services:\n  web:\n    image: img\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Unknown keys, at the top and at depth, with what was meant.
        ("servicez: {}\n" + S, ["servicez: unknown field; did you mean 'services'?"]),
        (S + "    enviroment: [A=1]", ["services.web.enviroment: unknown field; did you mean"]),
        (
            S + "    healthcheck: {test: [CMD, 'true'], intervall: 5s}",
            ["services.web.healthcheck.intervall: unknown field; did you mean 'interval'?"],
        ),
        (
            S + "    ports: [{target: 80, protocl: udp}]",
            ["services.web.ports[0].protocl: unknown field; did you mean 'protocol'?"],
        ),
        # Wrong types at depth; every alternative's type said.
        (S + "    ports: [[80]]", ["services.web.ports[0]: not a number, a string or a mapping"]),
        (
            S + "    deploy: {resources: {limits: {cpus: [1]}}}",
            ["services.web.deploy.resources.limits.cpus: not a number or a string: [1]"],
        ),
        (
            S + "    healthcheck: {test: 5}",
            ["services.web.healthcheck.test: not a string or a list"],
        ),
        ("services:\n  web: [1]", ["services.web: not a mapping: [1]"]),
        # Inside an alternative of the value's own type.
        (
            S + "    depends_on: {db: {condition: sometimes}}",
            ["services.web.depends_on.db.condition: 'sometimes' is not one of"],
        ),
        # Several problems: one line each, in path order.
        (
            "services:\n  web:\n    image: 3\n    ports: [[1]]",
            ["services.web.image: not a string: 3", "services.web.ports[0]: not a number"],
        ),
        # Compose v1 (services at the top): named as in the file.
        ("web:\n  image: img\n  enviroment: [A=1]", ["web: enviroment: unknown field; did you"]),
        # YAML 1.1 reads `off:` as false: no JSON key.
        ("services:\n  off: {image: img}", ["services: key False is not a string (quote it"]),
        # x- extensions are Compose's own escape hatch: accepted.
    ],
)
def test_what_the_schema_refuses_is_refused_with_its_path(text: str, expected: list[str]) -> None:
    with pytest.raises(SpecError) as caught:
        parse_apps(text)
    lines = str(caught.value).splitlines()
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), (line, start)


def test_extension_fields_are_accepted() -> None:
    [web] = parse_apps("x-common: {a: 1}\n" + S + "    x-note: anything\n")
    assert web.image == "img"


def test_the_vendored_schema_is_compose_specs_with_its_licence() -> None:
    from importlib import resources

    folder = resources.files("frameworks.service") / "compose_schema"
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert '"title": "Compose Specification"' in (folder / "compose-spec.json").read_text()
