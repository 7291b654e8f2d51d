"""offerctl events as things happen, and a task's status history (kept
across a master restart), against a real cluster."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import subprocess
import sys
from typing import Any

import yaml

from tests.support.cluster import Cluster
from tests.support.framework import framework, task

LINE_TIMEOUT = 30.0


class EventStream:
    """`offerctl events -o json` running as its own process."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, cluster: Cluster, *args: str) -> EventStream:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "offer.ctl.cli", "--master", cluster.address, "events", "-o", "json"),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def next(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), LINE_TIMEOUT)
        assert line, "the event stream ended"
        event: dict[str, Any] = json.loads(line)
        return event

    async def until(self, done: Any) -> list[dict[str, Any]]:
        """Events up to and including the first for which `done` holds."""
        seen = [await self.next()]
        while not done(seen[-1]):
            seen.append(await self.next())
        return seen

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()


def on_terminal(cluster: Cluster, *args: str, env: dict[str, str] | None = None) -> bytes:
    """What offerctl writes to a terminal (a pseudo-terminal here)."""
    reader, writer = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "offer.ctl.cli", "--master", cluster.address, *args],
        stdout=writer,
        stderr=writer,
        env={**os.environ, "TERM": "xterm-256color", "NO_COLOR": "", **(env or {})},
    ) as proc:
        os.close(writer)
        out = b""
        while True:
            try:
                chunk = os.read(reader, 65536)
            except OSError:  # the terminal's other end closed: all is read
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(30) == 0, out
    os.close(reader)
    return out


def _is(state: str, task_id: str) -> Any:
    return lambda e: e["task"] and (e["task"]["task_id"], e["task"]["state"]) == (task_id, state)


async def test_events_arrive_in_order_as_they_happen(cluster: Cluster) -> None:
    cluster.start_master()
    stream = await EventStream.start(cluster, "--last", "0")
    try:
        first = await stream.next()
        assert first["type"] == "CAUGHT_UP"  # watching: from here on, it happens live
        agent = await asyncio.to_thread(cluster.start_agent)
        async with framework(cluster.address, name="watched") as (driver, rec):
            await rec.launch(driver, task("brief", "exit 0"))
            seen = await stream.until(_is("FINISHED", "brief"))
        left = await stream.until(lambda e: e["type"] == "FRAMEWORK_DISCONNECTED")
    finally:
        await stream.stop()

    assert [(e["type"], e["agent_id"]) for e in seen[:1]] == [("AGENT_ADDED", agent.agent_id)]
    assert (seen[1]["type"], seen[1]["framework_id"]) == ("FRAMEWORK_SUBSCRIBED", rec.framework_id)
    changes = [e["task"] for e in seen[2:]]
    assert [c["state"] for c in changes] == ["STAGING", "STARTING", "RUNNING", "FINISHED"]
    assert {(c["framework_id"], c["agent_id"]) for c in changes} == {
        (rec.framework_id, agent.agent_id)
    }
    assert changes[-1]["exit_code"] == 0 and changes[-1]["reason"] == "COMMAND_EXITED"
    assert "task brief is FINISHED" in seen[-1]["message"]
    assert [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)
    assert left[-1]["framework_id"] == rec.framework_id

    # The same events, again, from the master's recent history.
    done = cluster.offerctl(
        "events", "--no-follow", "--last", "100", "--type", "task", "-o", "yaml"
    )
    assert done.returncode == 0, done.stderr
    replayed = [e for e in yaml.safe_load_all(done.stdout) if e]
    assert [e["task"]["state"] for e in replayed] == ["STAGING", "STARTING", "RUNNING", "FINISHED"]
    for output in ("table", "wide"):
        done = cluster.offerctl(
            "events", "--no-follow", "--framework", rec.framework_id, "-o", output
        )
        lines = done.stdout.splitlines()
        assert "FRAMEWORK_SUBSCRIBED" in lines[0] and "FRAMEWORK_DISCONNECTED" in lines[-1]
        assert len(lines) == 6 and "task brief is RUNNING" in done.stdout


async def test_events_count_stops_after_the_first_match(running_cluster: Cluster) -> None:
    cluster = running_cluster
    stream = await EventStream.start(cluster, "--last", "0", "--type", "framework", "--count", "1")
    try:
        assert (await stream.next())["type"] == "CAUGHT_UP"
        async with framework(cluster.address, name="counted") as (_, rec):
            event = await stream.next()
            assert (event["type"], event["framework_id"]) == (
                "FRAMEWORK_SUBSCRIBED",
                rec.framework_id,
            )
            assert await asyncio.wait_for(stream.proc.wait(), LINE_TIMEOUT) == 0
    finally:
        await stream.stop()


async def test_a_tasks_whole_history_with_times_and_reasons(running_cluster: Cluster) -> None:
    cluster = running_cluster
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("fine", "exit 0"), task("broken", "echo oops; exit 3"))
        await rec.until_terminal("fine")
        await rec.until_terminal("broken")

    fine = cluster.offerctl_json("tasks", "show", "fine")
    history = fine["history"]
    assert [h["state"] for h in history] == ["STAGING", "STARTING", "RUNNING", "FINISHED"]
    assert all(h["message"] for h in history)
    assert history[-1]["reason"] == "COMMAND_EXITED" and history[-1]["exit_code"] == 0
    times = [h["timestamp"] for h in history]
    assert times == sorted(times) and times[0] >= fine["created_at"]
    assert fine["state"] == "FINISHED" and fine["updated_at"] == times[-1]

    broken = cluster.offerctl_json("tasks", "show", "broken", "--framework", rec.framework_id)
    assert [(h["state"], h["reason"], h["exit_code"]) for h in broken["history"][-1:]] == [
        ("FAILED", "COMMAND_EXITED", 3)
    ]
    shown = cluster.offerctl("tasks", "show", "broken")
    assert shown.returncode == 0, shown.stderr
    assert "History:" in shown.stdout and "exited with code 3" in shown.stdout
    rows = shown.stdout.split("History:")[1].splitlines()[2:]
    assert [row.split()[2] for row in rows] == ["STAGING", "STARTING", "RUNNING", "FAILED"]

    red = b"\x1b[31mFAILED"
    assert red in on_terminal(cluster, "tasks", "show", "broken")
    assert red not in on_terminal(cluster, "tasks", env={"NO_COLOR": "1"})
    assert b"broken" in on_terminal(cluster, "tasks", env={"NO_COLOR": "1"})

    # The history is in the master's store: a restarted master still has it.
    await asyncio.to_thread(cluster.restart_master)
    after = cluster.offerctl("tasks", "show", "fine", "-o", "yaml")
    assert after.returncode == 0, after.stderr
    assert yaml.safe_load(after.stdout)["history"] == history
