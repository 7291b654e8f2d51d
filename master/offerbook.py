"""The offer book: the master's outstanding offers, from the cycle that makes
them to their use, decline, timeout or rescind; and the refusals (filters)
that declines leave behind.

Offer ids never repeat, even across restarts (a random prefix per run), so
a stale id from before a restart cannot name a new offer. Each offer is
used at most once: any answer removes it. Removing an offer frees its
resources, so the book asks for an allocation on its agent itself.
"""

from __future__ import annotations

import enum
import itertools
import secrets
from collections.abc import Mapping, Sequence

from master.allocation import Allocation
from master.cluster import Framework, Offer
from master.config import MasterConfig
from master.errors import ErrorKind, MasterError
from master.links import Links
from master.messages import OfferRescinded, OffersMade
from master.metrics import MasterMetrics
from master.state import ClusterState
from master.timers import Timers
from offer.clock import Clock
from offer.resources import Resources

_NOTHING = Resources()


class OfferEnd(enum.Enum):
    """How an outstanding offer ended (each counted in the master's metrics)."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    # Taken back, its framework told: timed out, its agent changed, reclaimed.
    RESCINDED = "rescinded"
    # Dropped untold: its framework is gone, subscribing again or suppressing.
    WITHDRAWN = "withdrawn"


class OfferBook:
    def __init__(
        self,
        state: ClusterState,
        links: Links,
        timers: Timers,
        allocation: Allocation,
        clock: Clock,
        config: MasterConfig,
        metrics: MasterMetrics,
    ) -> None:
        self._state = state
        self._links = links
        self._timers = timers
        self._allocation = allocation
        self._clock = clock
        self._config = config
        self._ended = {
            OfferEnd.ACCEPTED: metrics.offers_accepted,
            OfferEnd.DECLINED: metrics.offers_declined,
            OfferEnd.RESCINDED: metrics.offers_rescinded,
            OfferEnd.WITHDRAWN: metrics.offers_withdrawn,
        }
        self._made = metrics.offers_made
        self._ids = (f"{secrets.token_hex(4)}-O{n}" for n in itertools.count(1))

    def new_id(self) -> str:
        return next(self._ids)

    def send(self, made: Mapping[str, list[Offer]]) -> None:
        """Sends offers a cycle made (already in the state), each to be
        answered within the offer timeout."""
        for framework_id, offers in made.items():
            for offer in offers:
                self._timers.arm_offer_timeout(offer.offer_id)
            self._links.tell(framework_id, OffersMade(tuple(offers)))
            self._made.inc(len(offers))

    def outstanding(
        self, fw: Framework, offer_ids: Sequence[str], same_agent: bool = True
    ) -> list[Offer]:
        """The framework's outstanding offers with these ids; MasterError if
        any is not (or, with `same_agent`, if they are on several agents)."""
        if not offer_ids:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "offer_ids is empty; name at least one")
        if len(set(offer_ids)) != len(offer_ids):
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "offer_ids names an offer twice")
        offers = []
        for offer_id in offer_ids:
            offer = self._state.offers.get(offer_id)
            if offer is None or offer.framework_id != fw.framework_id:
                raise MasterError(
                    ErrorKind.NOT_FOUND,
                    f"offer {offer_id!r} is not outstanding for this framework (unknown, "
                    "already accepted or declined, or rescinded); wait for a new offer",
                )
            offers.append(offer)
        if same_agent and len({o.agent_id for o in offers}) > 1:
            raise MasterError(
                ErrorKind.INVALID_ARGUMENT, "offers accepted together must be on the same agent"
            )
        return offers

    def still_outstanding(self, fw: Framework, offer_ids: Sequence[str]) -> list[Offer]:
        """The framework's offers among these ids that are still outstanding
        (each once); the others are passed over."""
        if not offer_ids:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "offer_ids is empty; name at least one")
        offers = (self._state.offers.get(offer_id) for offer_id in dict.fromkeys(offer_ids))
        return [o for o in offers if o is not None and o.framework_id == fw.framework_id]

    def remove(self, offer: Offer, end: OfferEnd) -> None:
        """Takes an offer out (used, declined, or taken back); a RESCINDED
        one's framework is told. Its agent is looked at in the next cycle."""
        self._state.remove_offer(offer)
        self._timers.cancel_offer_timeout(offer.offer_id)
        if end is OfferEnd.RESCINDED:
            self._links.tell(offer.framework_id, OfferRescinded(offer.offer_id))
        self._ended[end].inc()
        self._allocation.request(agent_ids=(offer.agent_id,))

    def rescind(self, offer: Offer) -> None:
        """Takes an offer back, telling its framework."""
        self.remove(offer, OfferEnd.RESCINDED)

    def rescind_on_agent(self, agent_id: str) -> None:
        """Takes back every offer of the agent (it left, is draining, or
        cannot run containers)."""
        for offer in self._state.offers_where(agent_id=agent_id):
            self.rescind(offer)

    def withdraw_from(self, fw: Framework) -> None:
        """Removes the framework's offers without telling it (it is gone,
        subscribing again, or suppressing offers)."""
        for offer in self._state.offers_where(framework_id=fw.framework_id):
            self.remove(offer, OfferEnd.WITHDRAWN)

    def offer_expired(self, offer_id: str) -> None:
        """The offer timeout: the offer is rescinded if still outstanding."""
        offer = self._state.offers.get(offer_id)
        if offer is not None:
            self.rescind(offer)

    def refuse(
        self,
        fw: Framework,
        agent_id: str,
        amount: Resources,
        refuse_seconds: float | None,
        revocable: Resources = _NOTHING,
    ) -> None:
        """No offer of at most `amount` on the agent goes to the framework for
        `refuse_seconds` (None: the default), unless more becomes free; nor a
        revocable part of at most `revocable`."""
        seconds = self._config.default_refuse_seconds if refuse_seconds is None else refuse_seconds
        if seconds <= 0:
            return
        until = self._clock() + seconds
        if not amount.is_empty():
            fw.refusals[agent_id] = (until, amount)
        if not revocable.is_empty():
            fw.revocable_refusals[agent_id] = (until, revocable)
