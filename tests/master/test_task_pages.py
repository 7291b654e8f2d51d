"""ListTasks filters and pages on the master (issue 26): a call costs its
page, and pages given one after the other list every task once, newest
first. A real master in-process on a real SQLite store, called through the
real Operator servicer (as the web UI calls it, with its context)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

import pytest

from master.cluster import Task
from master.logs import LogRelay
from master.servicers.operator import OperatorServicer
from master.task_pages import MAX_PAGE
from master.ui.errors import AbortAsHttp, ApiError
from offer.resources import Resources
from offer.tasks import TaskSpec, TaskState, TaskStatus
from offer.v1 import common_pb2 as common
from offer.v1 import operator_pb2 as pb
from tests.support.inprocess import InProcessMaster, in_process_master

BIG = Resources(64, 65536)
_ids = itertools.count(1)


async def _launch(m: InProcessMaster, framework_id: str, count: int) -> tuple[str, list[str]]:
    """Launches `count` tasks on one of the framework's offers; the agent
    and the task ids. They stay STAGING."""
    for _ in range(10):
        m.cycle()
        offers = [o for o in m.master.offers_view(framework_id) if o.resources.cpus >= count / 100]
        if offers:
            break
        await m.clock.advance(m.config.offer_reclaim_age)
    else:
        raise AssertionError(f"no offer for {framework_id}")
    offer = offers[0]
    specs = [TaskSpec(f"t{next(_ids)}", "t", Resources(0.01, 8), "busybox") for _ in range(count)]
    await m.master.framework_calls.accept(framework_id, [offer.offer_id], specs, 0.0)
    return offer.agent_id, [s.task_id for s in specs]


async def _report(
    m: InProcessMaster, fw: str, agent: str, ids: Iterable[str], *states: TaskState
) -> None:
    await m.master.agent_calls.status_updates(
        agent, [TaskStatus(i, fw, agent, s) for i in ids for s in states]
    )


async def _cluster(m: InProcessMaster) -> None:
    """Two agents, two frameworks, 240 tasks made at 8 times: of every 30,
    10 STAGING, 10 RUNNING and 10 FINISHED."""
    await m.add_agent(BIG)
    await m.add_agent(BIG)
    frameworks = [(await m.subscribe(name))[0] for name in ("one", "two")]
    for _ in range(4):
        for fw in frameworks:
            agent, ids = await _launch(m, fw, 30)
            await _report(m, fw, agent, ids[10:], TaskState.RUNNING)
            await _report(m, fw, agent, ids[20:], TaskState.FINISHED)
            await m.clock.advance(1)


def _newest_first(tasks: Iterable[Task]) -> list[tuple[str, str]]:
    ordered = sorted(tasks, key=lambda t: (t.created_at, t.framework_id, t.task_id), reverse=True)
    return [t.key for t in ordered]


def _keys(response: pb.ListTasksResponse) -> list[tuple[str, str]]:
    return [(t.framework_id, t.task_id) for t in response.tasks]


@pytest.fixture
def context() -> AbortAsHttp:
    return AbortAsHttp()


async def test_pages_list_every_task_once_newest_first(
    tmp_path: Path, context: AbortAsHttp
) -> None:
    async with in_process_master(tmp_path) as m:
        await _cluster(m)
        operator = OperatorServicer(m.master, LogRelay(m.master))
        expected = _newest_first(m.master.state.tasks.values())
        assert len(expected) == 240
        listed: list[tuple[str, str]] = []
        token = ""
        while True:
            page = await operator.ListTasks(pb.ListTasksRequest(limit=7, page_token=token), context)
            assert len(page.tasks) <= 7
            listed += _keys(page)
            assert page.remaining == len(expected) - len(listed)
            token = page.next_page_token
            if not token:
                break
        assert listed == expected


async def test_filters_by_state_framework_and_agent(tmp_path: Path, context: AbortAsHttp) -> None:
    async with in_process_master(tmp_path) as m:
        await _cluster(m)
        operator = OperatorServicer(m.master, LogRelay(m.master))
        tasks = list(m.master.state.tasks.values())
        fw_one, fw_two = (f.framework_id for f in m.master.frameworks_view())
        agent = tasks[0].agent_id
        cases = [
            (
                pb.ListTasksRequest(states=[common.TASK_RUNNING]),
                lambda t: t.status.state == TaskState.RUNNING,
            ),
            (pb.ListTasksRequest(framework_id=fw_one), lambda t: t.framework_id == fw_one),
            (pb.ListTasksRequest(agent_id=agent), lambda t: t.agent_id == agent),
            (
                pb.ListTasksRequest(
                    framework_ids=[fw_one, fw_two],
                    agent_id=agent,
                    states=[common.TASK_FINISHED, common.TASK_STAGING],
                ),
                lambda t: (
                    t.agent_id == agent
                    and t.status.state in (TaskState.FINISHED, TaskState.STAGING)
                ),
            ),
            (pb.ListTasksRequest(framework_id="no-such-framework"), lambda t: False),
        ]
        for request, passes in cases:
            expected = _newest_first(t for t in tasks if passes(t))
            first = await operator.ListTasks(request, context)
            assert _keys(first) == expected, request
            request.limit = 3
            page = await operator.ListTasks(request, context)
            assert _keys(page) == expected[:3]
            assert page.remaining == max(len(expected) - 3, 0)
            request.page_token = page.next_page_token
            if expected[3:]:
                assert _keys(await operator.ListTasks(request, context)) == expected[3:6]
            else:
                assert not page.next_page_token


@pytest.mark.parametrize(
    "token",
    ["not a token", "eyJhIjoxfQ", "WzEsMiwzXQ", "WyJ4IiwiZiIsInQiXQ", "W3RydWUsImYiLCJ0Il0"],
)
async def test_a_token_the_master_did_not_write_is_refused(
    tmp_path: Path, context: AbortAsHttp, token: str
) -> None:
    # {"a":1}, [1,2,3], ["x","f","t"], [true,"f","t"]: JSON, but no position.
    async with in_process_master(tmp_path) as m:
        operator = OperatorServicer(m.master, LogRelay(m.master))
        with pytest.raises(ApiError) as refused:
            await operator.ListTasks(pb.ListTasksRequest(page_token=token), context)
        assert refused.value.code == "INVALID_ARGUMENT"
        assert "page_token" in refused.value.message
        assert "next_page_token" in refused.value.message


async def test_a_limit_past_the_maximum_is_capped(tmp_path: Path, context: AbortAsHttp) -> None:
    async with in_process_master(tmp_path) as m:
        await m.add_agent(BIG)
        fw, _ = await m.subscribe()
        for _ in range(3):  # an Accept launches at most 1000 tasks
            await _launch(m, fw, (MAX_PAGE + 50) // 3)
        operator = OperatorServicer(m.master, LogRelay(m.master))
        for limit in (0, MAX_PAGE + 1, 2**32 - 1):
            page = await operator.ListTasks(pb.ListTasksRequest(limit=limit), context)
            assert (len(page.tasks), page.remaining) == (MAX_PAGE, 50)
            assert page.next_page_token
        rest = await operator.ListTasks(
            pb.ListTasksRequest(page_token=page.next_page_token), context
        )
        assert (len(rest.tasks), rest.remaining, rest.next_page_token) == (50, 0, "")
