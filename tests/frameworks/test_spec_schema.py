"""App specs, job specs and Compose files are checked whole by one schema:
every bad field, at any depth, is refused with its full path and a sentence
a person reads (one line per problem). Specs already stored load even if the
schema now refuses them. Pure: no processes."""

from __future__ import annotations

import logging

import pytest

from frameworks.batch.spec import JobSpec, parse_jobs
from frameworks.checks import SpecError
from frameworks.service.documents import parse_apps
from frameworks.service.spec import AppSpec

APP = "id: web\nimage: img\n"
JOB = "name: etl\nimage: img\n"


def refusal(parse: object, text: str) -> list[str]:
    with pytest.raises(SpecError) as refused:
        parse(text)  # type: ignore[operator]
    return str(refused.value).splitlines()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Top level: an unknown key, a typo, wrong types.
        (APP + "colour: blue", "app 'web': colour: unknown field (known: backoff_factor, "),
        (APP + "instance: 3", "app 'web': instance: unknown field; did you mean 'instances'?"),
        (APP + "cpus: '1'", "app 'web': cpus: not a number: '1'"),
        (APP + "instances: 2.5", "app 'web': instances: not a whole number: 2.5"),
        (APP + "instances: -1", "app 'web': instances: must be >= 0, got -1"),
        (APP + "mem: 2", "app 'web': mem: must be >= 6.0, got 2"),
        (APP + "cmd: 5", "app 'web': cmd: not a string (run by sh -c) or a list of strings: 5"),
        ("id: Web_1\nimage: img", "app 'Web_1': id: 'Web_1' must be lowercase letters"),
        ("id: web", "app 'web': image: required"),
        # Nested health_check: a typo of a key and a wrong type.
        (
            APP + "ports: [8080]\nhealth_check: {protocol: tcp, port: 8080, intervalSeconds: 5}",
            "app 'web': health_check.intervalSeconds: unknown field; did you mean "
            "'interval_seconds'?",
        ),
        (
            APP
            + "ports: [8080]\nhealth_check: {protocol: tcp, port: 8080, interval_seconds: fast}",
            "app 'web': health_check.interval_seconds: not a number: 'fast'",
        ),
        (
            APP + "health_check: {protocol: http, port: 80}",
            "app 'web': health_check.port: must be one of the app's ports [], got 80",
        ),
        (APP + "health_check: tcp", "app 'web': health_check: not a mapping: 'tcp'"),
        (
            APP + "health_check: {protocol: udp}",
            "app 'web': health_check.protocol: must be one of 'command', 'tcp' or 'http', "
            "got 'udp'",
        ),
        # Mappings and lists: the key or index of the bad item.
        (APP + "labels: {a: 1}", "app 'web': labels.a: not a string: 1 (quote it in YAML)"),
        (APP + "env: {N: true}", "app 'web': env.N: not a string: True (quote it in YAML)"),
        (
            APP + "constraints: 'hostname:UNIQUE'",
            "app 'web': constraints: not a list: 'hostname:UNIQUE' "
            '(e.g. [["hostname", "UNIQUE"], ["rack", "MAX_PER", "2"]])',
        ),
        (
            APP + "constraints: [[hostname, SPREAD]]",
            "app 'web': constraints[0]: unknown operator 'SPREAD' (one of UNIQUE, CLUSTER, "
            "LIKE, UNLIKE, MAX_PER, IS)",
        ),
        (APP + "ports: [80, 70000]", "app 'web': ports[1]: must be <= 65535, got 70000"),
        (APP + "links: ['db:a:b']", "app 'web': links[0]: 'db:a:b' is not APP or APP:ALIAS"),
        # The document around the apps.
        ("- {id: a, image: i}\n- {id: a, image: i}", "an app id appears twice: ['a', 'a']"),
        ("id: [", "not valid YAML: document:1:6: expected the node content"),
        ("- 3", "app #1: not a mapping of fields: 3"),
    ],
)
def test_bad_apps_are_refused_with_the_path(text: str, expected: str) -> None:
    assert refusal(parse_apps, text)[0].startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "services:\n  web:\n    image: img\n    sysctls: {net.core.somaxconn: 1024}",
            "services.web.sysctls: unknown field (known: build, cap_add, command, ",
        ),
        (
            "services:\n  web:\n    image: img\n    secrets: [db]",
            "services.web.secrets[0]: secret 'db' is not declared in the top-level secrets",
        ),
        (
            "services:\n  web:\n    image: img\n    deploy: {resources: {limits: {memroy: 1g}}}",
            "services.web.deploy.resources.limits.memroy: unknown field; did you mean 'memory'?",
        ),
        (
            "services:\n  web:\n    image: img\n    deploy: {resources: {limits: {memory: lots}}}",
            "services.web.deploy.resources.limits.memory: not a memory size such as '512M' or "
            "'1g': 'lots'",
        ),
        (
            "services:\n  web:\n    image: img\n    deploy: {replicas: three}",
            "services.web.deploy.replicas: not a whole number: 'three'",
        ),
        (
            "services:\n  web:\n    image: img\n    deploy: {restart_policy: {condition: any}}",
            "services.web.deploy.restart_policy: unknown field (known: placement, replicas, "
            "resources, update_config)",
        ),
        ("services:\n  web:\n    build: .", "services.web.image: required"),
        (
            "services:\n  web:\n    image: img\n    ports: ['53/sctp']",
            "services.web.ports: '53/sctp': only tcp and udp ports are supported",
        ),
        # Compose v1: services at the top.
        ("web:\n  image: img\n  enviroment: [A=1]", "web: enviroment: unknown field; did you"),
        # What Compose gives is an app, checked as one.
        (
            "services:\n  web:\n    image: img\n    deploy: {resources: {limits: {memory: 1M}}}",
            "app 'web': mem: must be >= 6.0, got 1.0",
        ),
    ],
)
def test_bad_compose_files_are_refused_with_the_path(text: str, expected: str) -> None:
    assert refusal(parse_apps, text)[0].startswith(expected)


def test_every_problem_is_one_line() -> None:
    lines = refusal(parse_apps, APP + "cpus: x\nmem: y\nhealth_check: {protocol: tcp, prot: 1}")
    assert lines == [
        "app 'web': cpus: not a number: 'x'",
        "app 'web': mem: not a number: 'y'",
        "app 'web': health_check.prot: unknown field; did you mean 'port'?",
    ]


@pytest.mark.parametrize(
    ("limits", "cpus", "mem"),
    [
        ("{cpus: '0.5', memory: 512M}", 0.5, 512.0),
        ("{cpus: 2, memory: 1g}", 2.0, 1024.0),
        ("{memory: 1.5GB}", 0.1, 1536.0),
        ("{memory: '268435456'}", 0.1, 256.0),  # bytes: a string, as Compose's schema says
        ("{memory: 65536k}", 0.1, 64.0),
    ],
)
def test_compose_limits_become_cpus_and_mem(limits: str, cpus: float, mem: float) -> None:
    [web] = parse_apps(
        f"services:\n  web:\n    image: img\n    deploy: {{resources: {{limits: {limits}}}}}"
    )
    assert (web.cpus, web.mem) == (cpus, mem)


def test_compose_reservations_count_where_limits_say_nothing() -> None:
    [web] = parse_apps(
        "services:\n  web:\n    image: img\n    deploy:\n      resources:\n"
        "        limits: {memory: 256M}\n        reservations: {cpus: '0.25', memory: 128M}"
    )
    assert (web.cpus, web.mem) == (0.25, 256.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (JOB + "parallelism: 0", "job 'etl': parallelism: must be >= 1, got 0"),
        (JOB + "retry: 3", "job 'etl': retry: unknown field; did you mean 'retries'?"),
        (JOB + "completions: two", "job 'etl': completions: not a whole number: 'two'"),
        (JOB + "labels: {tier: 2}", "job 'etl': labels.tier: not a string: 2 (quote it in YAML)"),
        (JOB + "volumes: /a:/b", "job 'etl': volumes: not a list: '/a:/b' (e.g. [\"/data:/data"),
        (JOB + "volumes: [/a]", "job 'etl': volumes[0]: '/a' is not '/host/path:/container/path"),
        (JOB + "env: {A: 1.5}", "job 'etl': env.A: not a string: 1.5 (quote it in YAML)"),
        ("jobs:\n- {name: a, image: i, mem: big}", "job 'a': mem: not a number: 'big'"),
    ],
)
def test_bad_jobs_are_refused_with_the_path(text: str, expected: str) -> None:
    assert refusal(parse_jobs, text)[0].startswith(expected)


def test_a_stored_spec_the_schema_now_refuses_still_loads(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Written before the schema was strict: a typo'd key and a word where a
    number goes. It loads (the typo dropped, the default in place of the
    word), says so in the log, and is stored again as it was (with the
    instances count it has now)."""
    stored = {
        "id": "web",
        "image": "img",
        "mem": 32,
        "ports": [8080],
        "health_check": {"protocol": "TCP", "port": 8080, "intervalSeconds": 5},
        "backoff_seconds": "fast",
    }
    with caplog.at_level(logging.WARNING):
        spec = AppSpec.from_stored(stored, "app 'web'")
    assert spec.health_check is not None and spec.health_check.protocol == "tcp"
    assert spec.backoff_seconds == 1.0 and spec.mem == 32.0
    assert "app 'web': stored spec does not pass the current schema" in caplog.text
    assert "health_check.intervalSeconds: unknown field" in caplog.text
    assert spec.stored() == {**stored, "instances": 1}
    scaled = spec.model_copy(update={"instances": 4})
    assert scaled.stored() == {**stored, "instances": 4}
    assert scaled.version == spec.version


def test_a_stored_spec_keeps_the_version_it_was_stored_with() -> None:
    """Versions are made from the stored document: an app stored with
    `mem: 32` (an int) by an older offer-service keeps its version, so its
    instances are not replaced by an upgrade."""
    old = parse_apps(APP + "mem: 32")[0].stored()
    old["mem"] = 32
    loaded = AppSpec.from_stored(old, "app 'web'")
    assert loaded == parse_apps(APP + "mem: 32")[0]
    assert loaded.version == AppSpec.from_stored(old, "again").version
    assert AppSpec.from_stored(loaded.stored(), "reloaded").version == loaded.version


def test_a_stored_job_nothing_can_repair_is_loaded_unchecked() -> None:
    stored = {"name": "etl", "image": "img", "schedule": "* * * * *", "depends_on": ["x"]}
    job = JobSpec.from_stored(stored, "job 'etl'")
    assert (job.name, job.schedule, job.depends_on) == ("etl", "* * * * *", ["x"])
    assert job.stored() == stored


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "services: {web: {image: i, environment: 7}}",
            ["services.web.environment: not a mapping or a list: 7"],
        ),
        (
            "services: {web: {image: i, environment: [1, 2]}}",
            [
                "services.web.environment[0]: not a string: 1 (quote it in YAML)",
                "services.web.environment[1]: not a string: 2 (quote it in YAML)",
            ],
        ),
        (
            "services: {web: {image: i, environment: {A: [1]}}}",
            ["services.web.environment.A: not a string, a number or true or false: [1]"],
        ),
    ],
)
def test_a_field_of_several_forms_is_named_without_type_tags(
    text: str, expected: list[str]
) -> None:
    """One line naming the forms, or the problem inside the form that fitted."""
    assert refusal(parse_apps, text) == expected


@pytest.mark.parametrize("text", ["[]", "apps: []"])
def test_a_document_of_no_apps_is_refused(text: str) -> None:
    assert refusal(parse_apps, text) == [
        "the document holds no apps: give one, a list, or a list under 'apps:'"
    ]
