"""The web UI's JSON API over plain HTTP, against a real cluster: the
Operator's answers (the same offerctl gets), the live event stream, a
task's logs, and the frameworks' apps and jobs through their control APIs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp

from tests.browser.support import HELLO_LINE, UiCluster, until_task
from tests.support.cluster import Cluster


def test_the_views_are_the_operators_answers(ui_cluster: UiCluster) -> None:
    status = ui_cluster.json("/api/v1/status")
    assert status["role"] == "MASTER_ROLE_LEADER"
    assert status["agents"] == {"active": 2}
    agents = ui_cluster.json("/api/v1/agents")["agents"]
    assert sorted(a["hostname"] for a in agents) == ["host0", "host1"]
    frameworks = ui_cluster.json("/api/v1/frameworks")["frameworks"]
    assert {f["info"]["name"] for f in frameworks} == {"offer-service", "offer-batch"}
    # The same tasks, in the same order, as offerctl prints them.
    tasks = ui_cluster.json("/api/v1/tasks")["tasks"]
    listed = ui_cluster.cluster.offerctl_json("tasks")
    assert [t["task_id"] for t in tasks] == [t["task_id"] for t in listed]
    assert {t["status"]["state"] for t in tasks} == {"TASK_RUNNING", "TASK_FINISHED"}
    service = next(f for f in frameworks if f["info"]["name"] == "offer-service")
    only = ui_cluster.json(f"/api/v1/tasks?framework_id={service['info']['framework_id']}")
    assert len(only["tasks"]) == 4  # web 2, cache 2
    assert isinstance(ui_cluster.json("/api/v1/offers")["offers"], list)


def test_tasks_by_state_a_page_at_a_time(ui_cluster: UiCluster) -> None:
    running = ui_cluster.json("/api/v1/tasks?state=running")
    assert running["tasks"] and {t["status"]["state"] for t in running["tasks"]} == {"TASK_RUNNING"}
    every = [t["task_id"] for t in running["tasks"]]
    first = ui_cluster.json("/api/v1/tasks?state=running&limit=1")
    assert [t["task_id"] for t in first["tasks"]] == every[:1]
    assert first["remaining"] == len(every) - 1 and first["next_page_token"]
    token = first["next_page_token"]
    rest = ui_cluster.json(f"/api/v1/tasks?state=running&limit=1000&page_token={token}")
    assert [t["task_id"] for t in rest["tasks"]] == every[1:]
    assert rest["next_page_token"] == ""
    status, body = ui_cluster.get("/api/v1/tasks?page_token=nonsense")
    assert status == 400 and "page_token" in json.loads(body)["error"]
    status, body = ui_cluster.get("/api/v1/tasks?state=sleeping")
    assert status == 400 and "not a task state" in json.loads(body)["error"]


def test_a_task_with_its_history_and_an_unknown_one(ui_cluster: UiCluster) -> None:
    finished = until_task(ui_cluster, lambda t: t["status"]["state"] == "TASK_FINISHED", "a task")
    shown = ui_cluster.json(f"/api/v1/tasks/{finished['task_id']}")
    states = [s["state"] for s in shown["history"]]
    assert states[0] == "TASK_STAGING" and states[-1] == "TASK_FINISHED"
    status, body = ui_cluster.get("/api/v1/tasks/no-such-task")
    assert status == 404
    assert json.loads(body) == {"error": "no task 'no-such-task' is known", "code": "NOT_FOUND"}
    status, body = ui_cluster.get("/api/v1/nothing-here")
    assert status == 404 and "docs/ui.md" in json.loads(body)["error"]
    status, body = ui_cluster.get("/api/v1/tasks/x/logs?tail=lots")
    assert status == 400 and "tail must be a whole number" in body


def test_logs_show_a_tasks_output(ui_cluster: UiCluster) -> None:
    task = until_task(ui_cluster, lambda t: t["task_id"].startswith("hello"), "a task of hello")
    status, body = ui_cluster.get(f"/api/v1/tasks/{task['task_id']}/logs?tail=10")
    assert status == 200 and HELLO_LINE in body


async def test_events_stream_live_as_server_sent_events(ui_cluster: UiCluster) -> None:
    timeout = aiohttp.ClientTimeout(total=40)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{ui_cluster.url}/api/v1/events?replay=3") as stream,
    ):
        assert stream.headers["Content-Type"] == "text/event-stream"
        events = _events(stream)
        while (await anext(events))["type"] != "EVENT_CAUGHT_UP":
            pass
        known = {t["task_id"] for t in ui_cluster.json("/api/v1/tasks")["tasks"]}
        run = asyncio.create_task(
            asyncio.to_thread(ui_cluster.cluster.job, "run", "hello", "--wait")
        )
        async for event in events:
            if event["type"] == "EVENT_TASK_CHANGED" and event["status"]["task_id"] not in known:
                break
        ran = await run
        assert ran.returncode == 0, ran.stdout + ran.stderr


async def _events(stream: aiohttp.ClientResponse) -> object:
    async for line in stream.content:
        if line.startswith(b"data: "):
            yield json.loads(line[len(b"data: ") :])


def test_apps_and_jobs_through_their_control_apis(ui_cluster: UiCluster) -> None:
    apps = ui_cluster.json("/api/v1/apps")["apps"]
    assert sorted((a["app_id"], a["instances"]) for a in apps) == [("cache", 3), ("web", 2)]
    cache = next(a for a in apps if a["app_id"] == "cache")
    assert "UNIQUE hostname" in cache["waiting_reason"]
    web = ui_cluster.json("/api/v1/apps/web")
    assert web["healthy"] == 2 and len(web["tasks"]) == 2
    jobs = ui_cluster.json("/api/v1/jobs")["jobs"]
    assert [j["name"] for j in jobs] == ["hello"]
    assert jobs[0]["last_run"]["state"] == "SUCCEEDED"
    runs = ui_cluster.json("/api/v1/jobs/hello/runs")["runs"]
    run = ui_cluster.json(f"/api/v1/runs/{runs[0]['run_id']}")
    assert run["succeeded"] == 2 and len(run["tasks"]) == 2
    status, body = ui_cluster.get("/api/v1/apps/nope")
    assert status == 404 and "nope" in json.loads(body)["error"]


def test_a_framework_whose_control_api_is_down_is_said_so(tmp_path: Path) -> None:
    ui = UiCluster(Cluster(tmp_path, engine=False))
    try:
        ui.start_master()
        status, body = ui.get("/api/v1/jobs")
        assert status == 503
        assert "no offer-batch is registered with this master" in json.loads(body)["error"]
        ui.cluster.start_batch()
        assert ui.json("/api/v1/jobs") == {"jobs": []}
        address = ui.cluster.batch_address
        ui.cluster.batch.stop()
        status, body = ui.get("/api/v1/jobs")
        assert status == 502, body
        error = json.loads(body)["error"]
        assert error.startswith(f"cannot reach offer-batch's control API at {address}")
        assert "is offer-batch running there?" in error
    finally:
        ui.cluster.close()
