"""What ListTasks returns: the tasks that pass its filters, newest first, one
page at a time. A page costs a scan of the filtered tasks (through the
per-framework or per-agent index when one is named) plus its own size; it
never sorts or serialises every task the master keeps."""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from master.cluster import Task, TaskKey
from master.state import ClusterState
from offer.tasks import TaskState

# The most tasks one page holds: a larger limit is capped to it.
MAX_PAGE = 1000

# Where a task sits in the order: (created_at, framework_id, task_id), the
# largest first. Unique, as (framework_id, task_id) is.
Position = tuple[float, str, str]


@dataclass(frozen=True)
class TaskFilter:
    """Each set empty: no filter on it. Tasks pass all three."""

    framework_ids: Collection[str] = ()
    agent_ids: Collection[str] = ()
    states: Collection[TaskState] = ()


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    # How many tasks pass the filters after this page.
    remaining: int

    @property
    def last(self) -> Position | None:
        """The last task's position, for the next page; None if none follows."""
        if not self.remaining or not self.tasks:
            return None
        return position(self.tasks[-1])


def position(task: Task) -> Position:
    return (task.created_at, task.framework_id, task.task_id)


def page_size(limit: int) -> int:
    """The page size a requested limit gets: 0 is the maximum, as is more."""
    return MAX_PAGE if limit <= 0 else min(limit, MAX_PAGE)


def task_page(
    state: ClusterState, where: TaskFilter, after: Position | None, size: int
) -> TaskPage:
    """The first `size` tasks that pass `where` and come after `after` (None:
    from the newest), newest first."""
    following = [t for t in _candidates(state, where) if after is None or position(t) < after]
    page = heapq.nlargest(size, following, key=position)
    return TaskPage(page, len(following) - len(page))


def _candidates(state: ClusterState, where: TaskFilter) -> Iterator[Task]:
    """The tasks that pass `where`, found through the smaller of the two
    indexes named (a framework's or an agent's task keys) when every id in
    it is known, else by a scan of every task."""
    framework_ids, agent_ids, states = (
        set(where.framework_ids),
        set(where.agent_ids),
        set(where.states),
    )
    keys = _indexed(state, framework_ids, agent_ids)
    tasks: Iterable[Task] = state.tasks.values() if keys is None else (state.tasks[k] for k in keys)
    for task in tasks:
        if framework_ids and task.framework_id not in framework_ids:
            continue
        if agent_ids and task.agent_id not in agent_ids:
            continue
        if states and task.status.state not in states:
            continue
        yield task


def _indexed(
    state: ClusterState, framework_ids: set[str], agent_ids: set[str]
) -> list[TaskKey] | None:
    """Keys of the named frameworks' (agents') tasks from the index, the
    smaller of the two; None if neither is named or an id is unknown."""
    choices: list[list[TaskKey]] = []
    if framework_ids and all(i in state.frameworks for i in framework_ids):
        choices.append([k for i in framework_ids for k in state.frameworks[i].tasks])
    if agent_ids and all(i in state.agents for i in agent_ids):
        choices.append([k for i in agent_ids for k in state.agents[i].tasks])
    return min(choices, key=len) if choices else None
