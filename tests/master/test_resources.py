from __future__ import annotations

import pytest

from offer.resources import (
    ResourceParseError,
    Resources,
    parse_agent_resources,
    parse_resources,
    total,
)


def test_arithmetic_does_not_drift() -> None:
    r = Resources()
    for _ in range(10):
        r += Resources(0.1, 0.1)
    assert r == Resources(1, 1)
    assert r - Resources(0.3, 0.3) - Resources(0.7, 0.7) == Resources()


def test_contains_and_shortfall() -> None:
    big, small = Resources(2, 1024), Resources(1, 2048)
    assert not big.contains(small)
    assert big.shortfall(small) == "mem 2048 > 1024"
    assert big.contains(Resources(2, 1024))


def test_dominant_share() -> None:
    assert Resources(1, 4096).dominant_share(Resources(9, 18432)) == pytest.approx(4 / 18)


def test_parse() -> None:
    assert parse_resources("cpus:2;mem:1024") == Resources(2, 1024)
    assert parse_resources(" cpus : 0.5 ; mem:64 ; disk:10 ;") == Resources(0.5, 64, 10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cpus:two", "'two' is not a number in 'cpus:two'"),
        ("cpus2", "'cpus2' is not NAME:AMOUNT"),
        ("gpus:1", "unknown resource 'gpus'"),
        ("cpus:1;cpus:2", "'cpus' is given twice"),
        ("cpus:-1", "must be a finite amount >= 0"),
        ("mem:inf", "must be a finite amount >= 0"),
        ("", "no resources given"),
    ],
)
def test_parse_errors_name_the_fault(text: str, message: str) -> None:
    with pytest.raises(ResourceParseError, match=message):
        parse_resources(text)


def test_ports_arithmetic_and_parse() -> None:
    agent = parse_resources("cpus:2;mem:1024;ports:[31000-31009]")
    task = Resources(0.5, 64, ports=((31002, 31003),))
    left = agent - task
    assert left.ports == ((31000, 31001), (31004, 31009))
    assert left + task == agent
    assert agent.contains(task)
    assert not left.contains(task)
    assert left.shortfall(task) == "ports 31002-31003 not offered"
    assert str(agent) == "cpus:2;mem:1024;ports:[31000-31009]"
    with pytest.raises(ResourceParseError, match="not a port range"):
        parse_resources("cpus:1;ports:[0-5]")


def test_total_is_what_adding_one_by_one_gives() -> None:
    amounts = [Resources(0.1, 0.3, 0.7), Resources(0.2, 64, 0, ((31000, 31001),))] * 500
    one_by_one = Resources()
    for amount in amounts:
        one_by_one += amount
    assert total(amounts) == one_by_one == Resources(150, 32150.0, 350, ((31000, 31001),))
    assert total([]) == Resources()


def test_parse_agent_resources_with_roles() -> None:
    parsed = parse_agent_resources("cpus(prod):2;mem(prod):2048;cpus:2;mem:2048;ports:[1-9]")
    assert parsed.total == Resources(4, 4096, ports=((1, 9),))
    assert parsed.reserved == {"prod": Resources(2, 2048)}
    assert parsed.unreserved == Resources(2, 2048, ports=((1, 9),))
    only = parse_agent_resources("cpus(prod):1;mem(prod):64;cpus(*):1")
    assert only.total == Resources(2, 64) and only.reserved == {"prod": Resources(1, 64)}
    assert parse_agent_resources("cpus:1;mem:64").reserved == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cpus(prod:2", r"'cpus\(prod:2' is not NAME\(ROLE\):AMOUNT"),
        ("cpus(-x):2", "role '-x' is malformed"),
        ("cpus():2", "role '' is malformed"),
        ("ports(prod):[1-2]", "ports cannot be reserved"),
        ("cpus(prod):1;cpus(prod):2", r"'cpus\(prod\)' is given twice"),
        ("cpus(prod):x", "'x' is not a number in 'cpus\\(prod\\):x'"),
        ("gpus(prod):1", "unknown resource 'gpus'"),
    ],
)
def test_parse_agent_resources_errors_name_the_part(text: str, message: str) -> None:
    with pytest.raises(ResourceParseError, match=message):
        parse_agent_resources(text)


def test_plain_parse_refuses_roles() -> None:
    with pytest.raises(ResourceParseError, match="a role is not allowed here"):
        parse_resources("cpus(prod):2")
