"""The SDK driver against a real master."""

from __future__ import annotations

import asyncio
import signal

from tests.support.cluster import Cluster
from tests.support.framework import framework


async def test_a_silent_master_is_noticed_by_missing_heartbeats(cluster: Cluster) -> None:
    """SIGSTOP keeps the connection open but stops every event: only the
    heartbeat watch can tell. After SIGCONT the driver has re-subscribed."""
    master = cluster.start_master("--heartbeat-interval", "0.3")
    async with framework(cluster.address) as (_, rec):
        assert rec.subscriptions == 1
        master.popen.send_signal(signal.SIGSTOP)
        try:
            await asyncio.sleep(1.5)  # 5 heartbeat periods of silence
        finally:
            master.popen.send_signal(signal.SIGCONT)
        await rec.until(lambda: rec.subscriptions == 2, timeout=20)
        assert rec.framework_id  # the same framework, re-subscribed with its id
