"""offer/masters.py: reading a master list, and which master a client dials
after each answer (issue 22)."""

from __future__ import annotations

import pytest

from offer.backoff import Backoff
from offer.masters import ELECTION_WAIT, MasterList, MasterListError, parse_masters


@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        ("127.0.0.1:5050", ("127.0.0.1:5050",)),
        ("a:5050,b:5050,c:5050", ("a:5050", "b:5050", "c:5050")),
        (" a:5050 , b:5051 ", ("a:5050", "b:5051")),
        ("[::1]:5050,a:1", ("[::1]:5050", "a:1")),
        ("a:5050,a:5050,b:5050", ("a:5050", "b:5050")),
        ("dns:///masters.example:5050", ("dns:///masters.example:5050",)),
        ("a:65535", ("a:65535",)),
    ],
)
def test_a_list_is_read_in_order_each_address_once(text: str, addresses: tuple[str, ...]) -> None:
    assert parse_masters(text) == addresses


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no master address given"),
        (" , ", "no master address given"),
        ("a:5050,,b:5050", "'a:5050,,b:5050' has an empty item"),
        ("a:5050,", "has an empty item"),
        ("a:x", "'a:x' is not HOST:PORT"),
        ("a", "'a' is not HOST:PORT (no port; e.g. a:5050)"),
        ("a:0", "'a:0' is not HOST:PORT"),
        ("a:65536", "'a:65536' is not HOST:PORT"),
        (":5050", "':5050' is not HOST:PORT"),
        ("::1:5050", "put an IPv6 host in brackets"),
        ("[::1]", "'[::1]' is not HOST:PORT (e.g. [::1]:5050)"),
        ("a:5050,b:-1", "'b:-1' is not HOST:PORT"),
    ],
)
def test_a_bad_list_says_which_item(text: str, message: str) -> None:
    with pytest.raises(MasterListError) as caught:
        parse_masters(text)
    assert message in str(caught.value)


# Each step: (what the current master answered, the master dialled next,
# whether the caller backs off first). "up": it leads (connected());
# "down": unreachable (failed()); "standby X" / "standby": names X / none.
POLICY = {
    "one master, restarting: a backoff after every failure, as before": (
        ["a"],
        [("down", "a", True), ("down", "a", True), ("up", "a", False), ("down", "a", True)],
    ),
    "a dead first address: the next one at once": (
        ["a", "b"],
        [("down", "b", False), ("up", "b", False)],
    ),
    "nobody answers: one backoff per round, not per address": (
        ["a", "b", "c"],
        [("down", "b", False), ("down", "c", False), ("down", "a", True), ("down", "b", False)],
    ),
    "a standby naming the leader: straight to it": (
        ["a", "b", "c"],
        [("standby c", "c", False), ("up", "c", False)],
    ),
    "a named leader outside the list is followed too": (
        ["a"],
        [("standby x", "x", False), ("up", "x", False)],
    ),
    "the leader dies: the others in turn, then the new leader": (
        ["a", "b", "c"],
        [
            ("up", "a", False),
            ("down", "b", False),
            ("standby", "c", False),  # no leader elected yet
            ("down", "a", True),  # nobody led this round: back off
            ("standby c", "c", False),  # the one it tried next names c
            ("up", "c", False),
        ],
    ),
    "a named leader that is gone counts as tried: no loop without backoff": (
        ["a", "b"],
        [("standby x", "x", False), ("down", "b", False), ("standby x", "a", True)],
    ),
    "after following a leader that fails, untried entries come first": (
        ["a", "b", "c"],
        [("standby c", "c", False), ("down", "b", False), ("down", "c", True)],
    ),
    "a leader that was already tried this round is not followed again": (
        ["a", "b"],
        [("standby b", "b", False), ("standby a", "a", True)],
    ),
}


@pytest.mark.parametrize("case", sorted(POLICY))
def test_which_master_comes_next(case: str) -> None:
    addresses, steps = POLICY[case]
    masters = MasterList([f"{name}:5050" for name in addresses])
    assert masters.current == f"{addresses[0]}:5050"
    for number, (answer, dialled, backs_off) in enumerate(steps):
        if answer == "up":
            masters.connected()
            wait = False
        elif answer == "down":
            wait = masters.failed()
        else:
            _, _, leader = answer.partition(" ")
            wait = masters.standby(f"{leader}:5050" if leader else None)
        assert (masters.current, wait) == (f"{dialled}:5050", backs_off), f"step {number}"


def test_following_a_leader_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    masters = MasterList("a:5050,b:5050")
    with caplog.at_level("INFO", logger="offer.masters"):
        masters.standby("b:5050")
    assert "master a:5050 is a standby; following the leader b:5050" in caplog.text


def test_a_master_list_reads_as_given() -> None:
    assert str(MasterList("a:1, b:2")) == "a:1,b:2"


@pytest.mark.parametrize(
    ("answers", "short"),
    [
        (["down", "down", "down"], False),  # nobody there: the backoff grows
        (["down", "standby", "down"], True),  # standbys live: a leader is a lease away
        (["standby", "standby", "standby"], True),
    ],
)
def test_the_wait_after_a_round_without_a_leader(answers: list[str], short: bool) -> None:
    masters = MasterList("a:5050,b:5050,c:5050")
    backoff = Backoff(4.0, 10.0, jitter=0.0)
    for answer in answers:
        masters.failed() if answer == "down" else masters.standby(None)
    delay = masters.round_delay(backoff)
    assert delay == (ELECTION_WAIT if short else 4.0)
    # The next round, all down: back to the backoff's growing delays.
    for _ in range(3):
        masters.failed()
    assert masters.round_delay(backoff) == 8.0
