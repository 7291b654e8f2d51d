"""A Decline that names an offer rescinded in flight (issue 26): the master
passes over the offer gone and declines the others it names, which would
otherwise be held from every framework until the master's offer timeout.
Real master and agents."""

from __future__ import annotations

import asyncio
import signal

from offer.v1 import operator_pb2, operator_pb2_grpc
from tests.support.cluster import Cluster
from tests.support.framework import framework


async def test_a_decline_naming_a_rescinded_offer_still_declines_the_others(
    cluster: Cluster,
) -> None:
    # Long: an offer still held after the decline was not given back.
    cluster.start_master("--offer-timeout", "600")
    lost = cluster.start_agent()
    kept = cluster.start_agent()
    async with framework(cluster.address) as (driver, rec):
        await rec.until(
            lambda: {o.agent_id for o in rec.offers_seen} >= {lost.agent_id, kept.agent_id}
        )
        by_agent = {o.agent_id: o.offer_id for o in rec.offers_seen}
        gone, held = by_agent[lost.agent_id], by_agent[kept.agent_id]
        # The agent's stream breaks: the master rescinds its offer, and the
        # framework, busy in its offers callback, declines it anyway.
        await asyncio.to_thread(lost.stop, signal.SIGKILL)
        await rec.until(lambda: gone in rec.rescinded)

        await driver.decline([gone, held], refuse_seconds=600)

        with cluster.security.channel(cluster.address) as channel:
            stub = operator_pb2_grpc.OperatorStub(channel)
            request = operator_pb2.ListOffersRequest(framework_id=driver.framework_id)
            outstanding = await asyncio.to_thread(stub.ListOffers, request, timeout=5)
        assert [s.offer.offer_id for s in outstanding.offers] == []
