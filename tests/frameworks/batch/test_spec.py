"""Job specs are refused at submit with a message naming the field."""

from __future__ import annotations

import pytest

from frameworks.batch.spec import SpecError, check_dependencies, parse_jobs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\nimage: i\nparallelism: 0", "job 'a': parallelism: must be >= 1, got 0"),
        ("name: a\nimage: i\ncompletions: two", "job 'a': completions: not a whole number: 'two'"),
        ("name: a\nimage: i\nschedule: every day", "job 'a': schedule: 'every day' is not cron"),
        (
            "name: a\nimage: i\nschedule: '* * * * *'\ntimezone: Mars/Olympus",
            "job 'a': timezone: 'Mars/Olympus' is not a known time zone",
        ),
        (
            "name: a\nimage: i\nconcurrency_policy: sometimes",
            "job 'a': concurrency_policy: must be one of 'allow', 'forbid' or 'replace'",
        ),
        ("name: a\nimage: i\nmissed_runs: all", "job 'a': missed_runs: must be one of"),
        ("name: a\nimage: i\nretries: -1", "job 'a': retries: must be >= 0, got -1"),
        ("name: a\nimage: i\ntimeout_seconds: -5", "job 'a': timeout_seconds: must be >= 0"),
        ("name: a\nimage: i\nvolumes: [data]", "job 'a': volumes[0]: 'data' is not '/host/path"),
        ("name: A_B\nimage: i", "job 'A_B': name: 'A_B' must be lowercase letters"),
        ("name: a", "job 'a': image: required"),
        ("name: a\nimage: i\nreplicas: 3", "job 'a': replicas: unknown field (known: backoff"),
        (
            "name: a\nimage: i\nschedule: '* * * * *'\ndepends_on: [b]",
            "job 'a': fields 'schedule' and 'depends_on' exclude each other",
        ),
    ],
)
def test_bad_fields_are_named(text: str, message: str) -> None:
    with pytest.raises(SpecError) as refused:
        parse_jobs(text)
    assert str(refused.value).startswith(message)


def test_dependency_cycles_are_refused() -> None:
    jobs = parse_jobs(
        "jobs:\n"
        "- {name: a, image: i, depends_on: [c]}\n"
        "- {name: b, image: i, depends_on: [a]}\n"
        "- {name: c, image: i, depends_on: [b]}\n"
    )
    with pytest.raises(SpecError, match=r"circular: a -> c -> b -> a"):
        check_dependencies({j.name: j for j in jobs})
    with pytest.raises(SpecError, match=r"names 'x', which is not submitted"):
        check_dependencies({j.name: j for j in parse_jobs("{name: a, image: i, depends_on: [x]}")})
