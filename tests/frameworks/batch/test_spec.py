"""Job specs are refused at submit with a message naming the field."""

from __future__ import annotations

import pytest

from frameworks.batch.spec import SpecError, check_dependencies, parse_jobs


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("name: a\nimage: i\nparallelism: 0", "'parallelism'"),
        ("name: a\nimage: i\ncompletions: two", "'completions'"),
        ("name: a\nimage: i\nschedule: every day", "'schedule'"),
        ("name: a\nimage: i\nschedule: '* * * * *'\ntimezone: Mars/Olympus", "'timezone'"),
        ("name: a\nimage: i\nconcurrency_policy: sometimes", "'concurrency_policy'"),
        ("name: a\nimage: i\nmissed_runs: all", "'missed_runs'"),
        ("name: a\nimage: i\nretries: -1", "'retries'"),
        ("name: a\nimage: i\ntimeout_seconds: -5", "'timeout_seconds'"),
        ("name: a\nimage: i\nvolumes: [data]", "'volumes'"),
        ("name: A_B\nimage: i", "'name'"),
        ("name: a", "'image'"),
        ("name: a\nimage: i\nreplicas: 3", "'replicas'"),
    ],
)
def test_bad_fields_are_named(text: str, field: str) -> None:
    with pytest.raises(SpecError, match=field):
        parse_jobs(text)


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
