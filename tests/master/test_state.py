"""ClusterState's bookkeeping of tasks (pure: no store, no loop)."""

from __future__ import annotations

from master.cluster import Agent, Framework, Task
from master.state import ClusterState
from offer.resources import Resources
from offer.tasks import TaskSpec, TaskState, TaskStatus


def _state() -> ClusterState:
    state = ClusterState()
    for n in (1, 2):
        state.agents[f"a{n}"] = Agent(f"a{n}", f"host{n}", Resources(64, 65536, 0, ((1, 9),)), 1.0)
        state.frameworks[f"f{n}"] = Framework(f"f{n}", f"fw{n}", "*", "u", 60.0, 1.0)
    return state


def _task(n: int, state: TaskState, ports: tuple[tuple[int, int], ...] = ()) -> Task:
    fid, aid = f"f{n % 2 + 1}", f"a{n % 3 % 2 + 1}"
    spec = TaskSpec(f"t{n}", f"t{n}", Resources(0.1, 0.3, 0.7, ports), "img")
    return Task(fid, aid, spec, 1.0, TaskStatus(f"t{n}", fid, aid, state))


def test_adding_tasks_at_once_holds_what_adding_them_one_by_one_does() -> None:
    tasks = [_task(n, TaskState.FINISHED if n % 5 == 0 else TaskState.RUNNING) for n in range(60)]
    tasks += [_task(60, TaskState.RUNNING, ((3, 4),)), _task(61, TaskState.STAGING, ((6, 6),))]
    at_once, one_by_one = _state(), _state()
    at_once.add_tasks(tasks)
    for task in tasks:
        one_by_one.add_task(task)
    for owners in ("agents", "frameworks"):
        for oid, owner in getattr(at_once, owners).items():
            other = getattr(one_by_one, owners)[oid]
            assert (owner.allocated, owner.tasks) == (other.allocated, other.tasks)
    assert at_once.agents["a1"].allocated.ports == at_once.frameworks["f1"].allocated.ports
    assert at_once.frameworks["f1"].allocated.ports == ((3, 4),)
    assert sum((f.allocated for f in at_once.frameworks.values()), Resources()) == Resources(
        5, 15, 35, ((3, 4), (6, 6))
    )


def test_a_new_task_starts_its_history_and_seen_updates_with_its_status() -> None:
    state = _state()
    task = _task(1, TaskState.STAGING)
    state.add_task(task)
    assert list(task.history) == [task.status]
    assert task.seen_updates == {task.status.uuid}
    running = TaskStatus("t1", task.framework_id, task.agent_id, TaskState.RUNNING)
    assert not state.set_status(task, running)
    assert list(task.history) == [task.history[0], running]


def test_a_frameworks_live_tasks_come_in_task_id_order() -> None:
    state = _state()
    state.add_tasks([_task(n, TaskState.RUNNING) for n in (9, 11, 3, 1, 7)])
    state.add_task(_task(5, TaskState.KILLED))
    assert [t.task_id for t in state.live_tasks_of(state.frameworks["f2"])] == [
        "t1",
        "t11",
        "t3",
        "t7",
        "t9",
    ]
