"""offer-batch's Prometheus metrics (docs/metrics.md, "offer-service /
offer-batch").

The counters are bumped where the scheduler acts; the gauges are read from
its jobs and runs when /metrics is scraped. No label names a job or a run:
runs by state are counted over all jobs, and a run's trigger is its kind
(manual, schedule, missed, dependency), not the job it came after.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from frameworks.batch.runs import Attempt, Run, RunState
from frameworks.batch.store import JobRecord

PREFIX = "offer_batch"
# A run's trigger as a label: "after JOB" is a dependency, whichever job.
TRIGGERS = ("manual", "schedule", "missed", "dependency")


class BatchMetrics:
    """What the scheduler counts; without a registry (a unit test) they go to
    one nobody scrapes."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.runs_started = Counter(
            f"{PREFIX}_runs_started",
            "Job runs started, by trigger: manual, schedule, missed (a scheduled time "
            "passed while offer-batch was down), dependency.",
            ["trigger"],
            registry=registry,
        )
        self.runs_finished = Counter(
            f"{PREFIX}_runs_finished",
            "Job runs that ended, by outcome: succeeded, failed, cancelled.",
            ["outcome"],
            registry=registry,
        )
        self.tasks_launched = Counter(
            f"{PREFIX}_tasks_launched",
            "Task attempts launched (accepts the master took), retries included.",
            registry=registry,
        )
        self.task_retries = Counter(
            f"{PREFIX}_task_retries",
            "Task attempts launched again after an earlier attempt at the same index "
            "ended (each waited out the job's retry backoff first if it failed).",
            registry=registry,
        )
        for trigger in TRIGGERS:
            self.runs_started.labels(trigger)
        for state in RunState:
            if state.is_ended:
                self.runs_finished.labels(state.value.lower())

    def run_started(self, trigger: str) -> None:
        self.runs_started.labels("dependency" if trigger.startswith("after ") else trigger).inc()

    def run_finished(self, state: RunState) -> None:
        self.runs_finished.labels(state.value.lower()).inc()


class BatchState(Protocol):
    """What the gauges read: the BatchScheduler's records (a protocol, so
    that the scheduler, which counts into BatchMetrics, is not imported back)."""

    @property
    def jobs(self) -> Mapping[str, JobRecord]: ...

    @property
    def runs(self) -> Mapping[str, Run]: ...

    @property
    def by_task(self) -> Mapping[str, Attempt]: ...


class BatchGauges(Collector):
    """Jobs and runs, read at scrape time on the event loop (the scheduler's
    state has no other writer)."""

    def __init__(self, scheduler: BatchState) -> None:
        self._scheduler = scheduler

    def collect(self) -> Iterator[Metric]:
        scheduler = self._scheduler
        yield GaugeMetricFamily(f"{PREFIX}_jobs", "Jobs submitted.", value=len(scheduler.jobs))
        by_state = dict.fromkeys(RunState, 0)
        for run in scheduler.runs.values():
            by_state[run.state] += 1
        runs = _runs_family(
            "Job runs by state: RUNNING ones, and the ended ones still kept (each job "
            "keeps its last `history` runs)."
        )
        for state, count in by_state.items():
            runs.add_metric([state.value.lower()], count)
        yield runs
        tasks = sum(1 for a in scheduler.by_task.values() if not a.state.is_terminal)
        yield GaugeMetricFamily(
            f"{PREFIX}_tasks_live", "Task attempts launched and not yet ended.", value=tasks
        )

    def describe(self) -> Iterator[Metric]:
        # Names only: registering must not read a scheduler still loading.
        yield GaugeMetricFamily(f"{PREFIX}_jobs", "")
        yield _runs_family("")
        yield GaugeMetricFamily(f"{PREFIX}_tasks_live", "")


def _runs_family(documentation: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_runs", documentation, labels=["state"])
