"""Per-caller token buckets: a caller flooding the master is slowed down,
others are not. Pure: the time is given.

A caller is its principal, or without authentication the host it calls
from: a gRPC peer names the client's port too, and every connection has a
port of its own, so keying by the peer would hand a flooding client a fresh
burst per connection and keep a bucket for every `offerctl` run ever made.
A bucket that has filled up again holds nothing a new one would not, so
idle buckets are dropped: memory stays proportional to the callers of the
last few seconds, not to all callers ever seen."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    at: float


# Buckets are swept for idle ones at most this often (calls), so that the
# sweep's cost per call stays constant however many callers there are.
_SWEEP_EVERY = 1024


@dataclass
class RateLimiter:
    """`rate` calls a second per key, in bursts of up to `burst`."""

    rate: float
    burst: float
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _calls: int = 0

    def delay(self, key: str, now: float) -> float:
        """Takes one token for `key`; returns how long the call must wait for
        it (0: go now). A waiting call has its token already, so the waits of
        a flood grow one interval a call."""
        self._calls += 1
        if self._calls % _SWEEP_EVERY == 0:
            self._forget_idle(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        bucket.tokens -= 1
        return 0.0 if bucket.tokens >= 0 else -bucket.tokens / self.rate

    def refund(self, key: str) -> None:
        """Gives back a token taken by a call that was refused instead of waiting."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.tokens = min(self.burst, bucket.tokens + 1)

    def __len__(self) -> int:
        """Callers with a bucket: those seen recently enough to be short of tokens."""
        return len(self._buckets)

    def _forget_idle(self, now: float) -> None:
        rate, burst = self.rate, self.burst
        self._buckets = {
            key: b for key, b in self._buckets.items() if b.tokens + (now - b.at) * rate < burst
        }


def caller_key(principal: str, peer: str) -> str:
    """Whom a call is counted against: its principal, else the host in the
    gRPC peer string without the port ("ipv4:127.0.0.1:53122" ->
    "127.0.0.1", "ipv6:[::1]:53122" -> "::1"; a unix socket's peer as it is)."""
    if principal:
        return principal
    kind, _, address = peer.partition(":")
    if kind == "ipv4":
        return address.rpartition(":")[0] or address
    if kind == "ipv6":
        host = address.rpartition(":")[0] if address.startswith("[") else address
        return host.strip("[]") or address
    return peer
