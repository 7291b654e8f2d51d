"""The fixed values offerctl's flags accept. Standard library only: the
argument parser is built from these before any command imports grpc or the
generated protos."""

from __future__ import annotations

# Every state a task can be listed in, in life order (UNKNOWN is only an
# answer to reconciliation; UNSPECIFIED never appears).
TASK_STATES = (
    "STAGING",
    "STARTING",
    "RUNNING",
    "KILLING",
    "FINISHED",
    "FAILED",
    "KILLED",
    "ERROR",
    "LOST",
)
ENDED_STATES = ("FINISHED", "FAILED", "KILLED", "ERROR", "LOST")
AGENT_STATUSES = ("active", "draining", "engine unavailable", "disconnected", "lost")
FRAMEWORK_STATUSES = ("active", "disconnected", "removed")
EVENT_CATEGORIES = ("agent", "framework", "task")
