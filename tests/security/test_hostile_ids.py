"""Ids become paths on agents (a task's output is kept in
sandboxes/FRAMEWORK/TASK/output.log): hostile ids are refused, and whatever
is accepted writes only inside its own sandbox. Through a real master and
agent, with ids drawn by hypothesis."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frameworks.sdk import CallRefusedError
from offer.ids import UnsafePathError, path_inside
from tests.support.cluster import Cluster
from tests.support.framework import framework, task

_T = TypeVar("_T")

HOSTILE = [
    ".",
    "..",
    "...",
    ".hidden",
    "..a",
    "./a",
    "../a",
    "a/..",
    "a/b",
    "/etc",
    "..\\..",
    "a\x00b",
    "\u2024\u2024",  # one-dot leaders, which look like ..
    "\uff0e\uff0e",  # fullwidth full stops
    "%2e%2e",
    "a" * 129,
    "",
]
ids = st.one_of(
    st.sampled_from(HOSTILE),
    # Mostly valid characters, dots among them: ids that are accepted must
    # still write inside their own sandbox.
    st.text(alphabet="a1.-_", min_size=1, max_size=12),
    st.text(alphabet="./\\-_a\u2024\uff0e%~", min_size=1, max_size=12),
    st.text(max_size=16),
)


def test_paths_made_from_ids_stay_inside_their_folder(tmp_path: Path) -> None:
    assert path_inside(tmp_path, "fw-1", "a..b", "output.log") == (
        tmp_path.resolve() / "fw-1" / "a..b" / "output.log"
    )
    (tmp_path / "link").symlink_to("/")
    for parts in [("..",), (".",), ("fw", ".."), ("a/../..",), ("",), ("link", "etc")]:
        with pytest.raises(UnsafePathError):
            path_inside(tmp_path, *parts)


class _Loop:
    """An event loop in a thread of its own, so that hypothesis (which runs
    examples synchronously) can drive an async framework."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, _T], timeout: float = 60) -> _T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture
def loop() -> Iterator[_Loop]:
    runner = _Loop()
    try:
        yield runner
    finally:
        runner.close()


def test_hostile_task_ids_are_refused_or_stay_in_their_sandbox(
    running_cluster: Cluster, loop: _Loop
) -> None:
    agent = running_cluster.agents[0]
    sandboxes = agent.work_dir / "sandboxes"
    accepted: set[str] = set()
    session = framework(running_cluster.address)
    driver, rec = loop.run(session.__aenter__())
    try:

        async def launch(task_id: str) -> bool:
            """True if the master accepted the task (it then ran to its end)."""
            offer = await rec.next_offer()
            try:
                await driver.accept([offer.offer_id], [task(task_id, "echo hello")], 0)
            except CallRefusedError as err:
                assert err.code == "INVALID_ARGUMENT", err
                assert "task_id" in err.message, err
                await driver.decline([offer.offer_id], refuse_seconds=0)
                return False
            await rec.until_terminal(task_id)
            return True

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(ids)
        def hostile(task_id: str) -> None:
            if task_id in accepted:
                return
            if loop.run(launch(task_id)):
                accepted.add(task_id)
            for text in HOSTILE[:-1]:  # the known-bad ones are always refused
                assert text not in accepted

        hostile()
    finally:
        loop.run(session.__aexit__(None, None, None))
    # Every file written lies in the sandbox of a task that was accepted.
    written = [p for p in sandboxes.rglob("*") if p.is_file()]
    for path in written:
        _, task_id, name = path.relative_to(sandboxes).parts
        assert task_id in accepted and name == "output.log", path
    assert sorted(p.name for p in agent.work_dir.iterdir()) == [
        "agent.lock",
        "agent_id",
        "sandboxes",
    ]


def test_apps_and_jobs_named_with_dots_are_refused(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_service()
    cluster.start_batch()
    spec = cluster.root / "spec.yaml"
    for name in ("..", ".", ".hidden"):
        spec.write_text(f"{{id: {name!r}, image: offer-test/busybox:latest}}")
        done = cluster.app("deploy", str(spec))
        assert done.returncode == 1 and f"id: {name!r} must be" in done.stderr, done.stderr
        spec.write_text(f"{{name: {name!r}, image: offer-test/busybox:latest}}")
        done = cluster.job("submit", str(spec))
        assert done.returncode == 1 and f"name: {name!r} must be" in done.stderr, done.stderr
