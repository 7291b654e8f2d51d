"""Several masters, one leading: the addresses a client is given, and which
one it dials next.

`--master a:5050,b:5050,c:5050` (or the same in OFFER_MASTER) names every
master a client may reach; one of them leads and the others stand by (a
standby answers every call with UNAVAILABLE and, when it knows one, the
leader's address: offer/leader.py). A client keeps a `MasterList` and tells
it how each attempt went:

- `connected()`: the current master leads and took the client (registered,
  subscribed, answered);
- `standby(leader)`: the current master stands by; when it names a leader
  not yet tried in this round, that one is dialled next, at once;
- `failed()`: the current master cannot be reached (or the connection to
  it ended); the next address in the list is dialled.

`standby` and `failed` return True when the attempt ended a round in which
every address was tried and none led: the caller then waits its backoff
(offer/backoff.py) before going on. Within a round it goes on at once, so
the backoff applies per round, not per address, and a one-master list
behaves exactly as a single address did.

No I/O here but a log line, so that the policy is tested as a table.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from offer.backoff import Backoff

__all__ = ["ELECTION_WAIT", "MasterList", "MasterListError", "parse_masters"]

log = logging.getLogger(__name__)

# Seconds between rounds at most while standbys answer but none leads yet.
ELECTION_WAIT = 0.25


class MasterListError(ValueError):
    """A master list that cannot be read; the message says which item and why."""


def parse_masters(text: str | Sequence[str]) -> tuple[str, ...]:
    """The addresses of "a:5050,b:5050,[::1]:5050" (or of a sequence of
    such strings), in order, each once. Raises MasterListError for an empty
    list, an empty item, or an item that is not HOST:PORT with a port in
    1-65535 (an IPv6 host in brackets)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    if not any(item.strip() for item in items):
        raise MasterListError("no master address given; expected HOST:PORT[,HOST:PORT...]")
    addresses: list[str] = []
    for item in items:
        address = item.strip()
        if not address:
            raise MasterListError(
                f"{','.join(items)!r} has an empty item; expected HOST:PORT[,HOST:PORT...]"
            )
        _check(address)
        if address not in addresses:
            addresses.append(address)
    return tuple(addresses)


def _check(address: str) -> None:
    target = address.removeprefix("dns:///")
    if target.startswith("["):
        host, bracket, rest = target[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            raise MasterListError(f"{address!r} is not HOST:PORT (e.g. [::1]:5050)")
        port = rest[1:]
    else:
        host, colon, port = target.rpartition(":")
        if not colon:
            raise MasterListError(f"{address!r} is not HOST:PORT (no port; e.g. {target}:5050)")
        if ":" in host:
            raise MasterListError(
                f"{address!r} is not HOST:PORT: put an IPv6 host in brackets, e.g. [::1]:5050"
            )
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise MasterListError(f"{address!r} is not HOST:PORT (a host, and a port 1-65535)")


class MasterList:
    """Which master to dial: the current candidate, and where to go after
    each attempt (see the module's docstring). One per client connection
    loop; not shared between tasks."""

    def __init__(self, addresses: str | Sequence[str]) -> None:
        self.addresses = parse_masters(addresses)
        self._index = 0  # the list entry dialled, or the one that named `current`
        self.current = self.addresses[0]
        # Addresses that neither led nor could be reached since the round began.
        self._tried: set[str] = set()
        # A standby answered in this round: its masters live, an election is
        # under way (a leader's lease is running out), not a cluster down.
        self._standby_answered = False
        self.election_under_way = False

    def __str__(self) -> str:
        return ",".join(self.addresses)

    def connected(self) -> None:
        """The current master leads: a new round begins with the next failure."""
        self._tried.clear()

    def failed(self) -> bool:
        """The current master could not be reached, or the link to it ended:
        moves to the next address. True if the round is over (back off)."""
        self._tried.add(self.current)
        return self._next()

    def standby(self, leader: str | None) -> bool:
        """The current master stands by and names `leader` (None: it knows
        none yet). A named leader not tried in this round is dialled next,
        at once (False); otherwise this counts as a failure."""
        standby = self.current
        self._tried.add(standby)
        self._standby_answered = True
        if leader and leader not in self._tried:
            log.info("master %s is a standby; following the leader %s", standby, leader)
            self.current = leader
            if leader in self.addresses:
                self._index = self.addresses.index(leader)
            return False
        if leader:
            log.info("master %s is a standby; its leader %s did not answer either", standby, leader)
        else:
            log.info("master %s is a standby and knows no leader yet", standby)
        return self._next()

    def _next(self) -> bool:
        """Moves to the next list entry not tried in this round; when every
        one was, the round is over: True, and the next one in turn."""
        count = len(self.addresses)
        for step in range(1, count + 1):
            index = (self._index + step) % count
            if self.addresses[index] not in self._tried:
                self._index, self.current = index, self.addresses[index]
                return False
        self._tried.clear()
        self.election_under_way, self._standby_answered = self._standby_answered, False
        self._index = (self._index + 1) % count
        self.current = self.addresses[self._index]
        return True

    def round_delay(self, backoff: Backoff) -> float:
        """How long to wait after a round in which none led: the backoff's
        next delay, but at most ELECTION_WAIT while standbys answer (a new
        leader is at most a lease away, and a client should find it then)."""
        delay = backoff.next_delay()
        return min(delay, ELECTION_WAIT) if self.election_under_way else delay
