"""Compose keys that map onto an app's rules: healthcheck -> health_check,
deploy.placement.constraints -> constraints, deploy.update_config ->
the rolling rules. Pure; each raises ValueError saying what it cannot map."""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import Field

from frameworks.schema import SpecModel

__all__ = [
    "ComposeHealthcheck",
    "ComposePlacement",
    "ComposeUpdateConfig",
    "constraint",
    "health_check",
    "rolling_rules",
    "seconds",
]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)")
_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# Compose's defaults for a healthcheck that leaves them out.
_HEALTH_DEFAULTS = {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}


def seconds(value: str | int | float) -> float:
    """A Compose duration ("1m30s", "500ms", "10s"; a bare number: seconds)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration such as '30s' or '1m30s': {value!r}")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


class ComposeHealthcheck(SpecModel):
    """Compose's healthcheck: the app's health_check (protocol command)."""

    test: str | list[str] | None = Field(
        default=None,
        description="[CMD, arg...] (run as argv), [CMD-SHELL, line] or a string (run by "
        "sh -c), or [NONE] (no check).",
    )
    interval: str | float | None = Field(default=None, description="interval_seconds (30s).")
    timeout: str | float | None = Field(default=None, description="timeout_seconds (30s).")
    retries: int | None = Field(default=None, description="max_consecutive_failures (3).")
    start_period: str | float | None = Field(default=None, description="grace_period_seconds (0s).")
    disable: bool | None = Field(default=None, description="true: no check.")


def health_check(check: ComposeHealthcheck) -> dict[str, Any] | None:
    """The app's health_check, or None for NONE/disable. As in Docker, the
    check runs in the container, and (as offer-service does with every
    check) an instance that fails `retries` in a row is replaced."""
    test = check.test
    if check.disable or test in ("NONE", ["NONE"]):
        return None
    if test is None:
        raise ValueError("test: required (the image's own HEALTHCHECK is not read)")
    if isinstance(test, str):
        command: str | list[str] = test
    elif test and test[0] == "CMD" and len(test) > 1:
        command = test[1:]
    elif test and test[0] == "CMD-SHELL" and len(test) == 2:
        command = test[1]
    else:
        raise ValueError(f"test: not [CMD, arg...], [CMD-SHELL, line] or [NONE]: {test!r}")
    given = check.model_dump(exclude_none=True)
    times = {**_HEALTH_DEFAULTS, **given}
    return {
        "protocol": "command",
        "command": command,
        "interval_seconds": seconds(times["interval"]),
        "timeout_seconds": seconds(times["timeout"]),
        "grace_period_seconds": seconds(times["start_period"]),
        "max_consecutive_failures": times["retries"],
    }


class ComposePlacement(SpecModel):
    constraints: list[str] = Field(
        default=[],
        description="node.hostname==X / != X, node.labels.NAME==X / != X: the app's "
        "constraints on hostname and agent attributes.",
    )


_CONSTRAINT = re.compile(r"^\s*node\.(hostname|labels\.([^=!\s]+))\s*(==|!=)\s*(.+?)\s*$")


def constraint(text: str) -> list[str]:
    """ "node.hostname==a" -> [hostname, IS, a]; "node.labels.zone!=b" ->
    [zone, UNLIKE, b] (UNLIKE takes a pattern: the value is escaped)."""
    match = _CONSTRAINT.match(text)
    if match is None:
        raise ValueError(
            f"{text!r}: only node.hostname and node.labels.NAME with == or != are supported "
            "(agents have a hostname and --attributes)"
        )
    field = "hostname" if match[2] is None else match[2]
    if match[3] == "==":
        return [field, "IS", match[4]]
    return [field, "UNLIKE", re.escape(match[4])]


class ComposeUpdateConfig(SpecModel):
    """How a new version replaces the old: the app's rolling rules."""

    parallelism: int | None = Field(
        default=None, ge=0, description="Instances replaced at once (1; 0: all)."
    )
    order: str | None = Field(
        default=None,
        description="stop-first (the default: old ones go first) or start-first (new ones "
        "start first, on top of `instances`).",
    )


def rolling_rules(update: ComposeUpdateConfig, instances: int) -> dict[str, float]:
    """parallelism P of N instances, as the fraction of N that may be
    replaced at once: stop-first keeps N - P ready (minimum_health_capacity
    (N - P) / N, nothing on top); start-first keeps all N ready and runs up to
    P on top (maximum_over_capacity P / N)."""
    order = update.order or "stop-first"
    if order not in ("stop-first", "start-first"):
        raise ValueError(f"order: not stop-first or start-first: {order!r}")
    parallelism = 1 if update.parallelism is None else update.parallelism
    n = max(instances, 1)
    share = 1.0 if parallelism == 0 else min(parallelism / n, 1.0)
    if order == "start-first":
        return {"minimum_health_capacity": 1.0, "maximum_over_capacity": _down(share)}
    return {"minimum_health_capacity": _down(1.0 - share), "maximum_over_capacity": 0.0}


def _down(fraction: float) -> float:
    """The planner takes ceil(N * fraction): a fraction a hair above
    (N - P) / N, as floats make 2/3, would be one instance more than meant."""
    return math.floor(fraction * 1e6) / 1e6
