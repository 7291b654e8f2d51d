"""The master keeps a bounded history (issue 26), on real processes: a
master run with --max-completed-tasks-per-framework 5, a real agent and
Docker engine, and a test framework on the SDK (which acknowledges every
update)."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from offer.v1 import operator_pb2, operator_pb2_grpc
from tests.support.cluster import Cluster
from tests.support.framework import framework, task

KEEP = 5


async def test_offerctl_lists_the_newest_ended_tasks_and_says_older_ones_are_not_kept(
    cluster: Cluster,
) -> None:
    cluster.start_master("--max-completed-tasks-per-framework", str(KEEP))
    cluster.start_agent("cpus:4;mem:2048")
    ids = [f"short-{n:02}" for n in range(15)]
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("alive", "sleep 300"))
        for start in range(0, len(ids), 5):
            batch = ids[start : start + 5]
            await rec.launch(driver, *(task(t) for t in batch))
            for task_id in batch:
                await rec.until_terminal(task_id)

        def ended() -> list[str]:
            listed = cluster.offerctl_json("tasks")
            return [t["task_id"] for t in listed if t["task_id"] != "alive"]

        # Pruned once their last update is acknowledged, which follows it;
        # polled off the loop, which the framework's driver runs on.
        kept = ended()
        for _ in range(100):
            if len(kept) <= KEEP:
                break
            await asyncio.sleep(0.1)
            kept = await asyncio.to_thread(ended)
        assert set(kept) <= set(ids[-KEEP - 4 :])  # the newest batches only
        assert len(kept) == KEEP
        assert "alive" in {t["task_id"] for t in cluster.offerctl_json("tasks")}

        # The Operator API's GetTask (what `offerctl tasks show` calls) says why.
        with cluster.security.channel(cluster.address) as channel:
            stub = operator_pb2_grpc.OperatorStub(channel)
            with pytest.raises(grpc.RpcError) as pruned:
                stub.GetTask(operator_pb2.GetTaskRequest(task_id=ids[0]), timeout=5)
        assert pruned.value.code() == grpc.StatusCode.NOT_FOUND
        assert pruned.value.details() == (
            f"task '{ids[0]}' ended and is no longer kept (the master keeps the last {KEEP} "
            f"ended tasks per framework: --max-completed-tasks-per-framework {KEEP})"
        )
        shown = cluster.offerctl("tasks", "show", ids[0])
        assert shown.returncode == 1
        assert "no longer kept" in shown.stderr, shown.stderr
        assert cluster.offerctl("tasks", "show", kept[0]).returncode == 0
