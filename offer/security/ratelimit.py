"""Per-principal token buckets: a caller flooding the master is slowed down,
others are not. Pure: the time is given."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """`rate` calls a second per key, in bursts of up to `burst`."""

    rate: float
    burst: float
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def delay(self, key: str, now: float) -> float:
        """Takes one token for `key`; returns how long the call must wait for
        it (0: go now). A waiting call has its token already, so the waits of
        a flood grow one interval a call."""
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
