"""Routing's reactions, one for each topic it reads, and the deadline sweep of the referral exchange.

Each takes the transaction and the envelope, as every reaction does, and reads the time from `Routing.clock`;
it decides through the pure modules (handlers, exchange, experts, decisions) and keeps its state through the
store; the inner modules stage events with `emit(session, topic, envelope)`, which stages them in the `Tx`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope, now
from contracts.events import ApplicationScored, DecisionMade, JourneyStepRecorded, OverrideRequested, ReferralReplied
from contracts.reference import Reference
from contracts.topics import DECISION_MADE
from services.routing import decisions, overrides, referrals, release, store
from services.routing.capacity import take_on
from services.routing.domain import Policy
from services.routing.experts import Expert
from services.routing.handlers import eligible_partners, when_application_scored_decide_route
from services.routing.referrals import Emit
from services.runtime.messages import follow_up
from services.runtime.reactions import Tx

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Routing:
    """What routing decides with: the reference data, its policy, the experts, and the referral exchange's rules."""

    reference: Reference
    policy: Policy
    experts: tuple[Expert, ...]
    answer_within: timedelta
    max_hops: int
    clock: Clock = now  # what time it is (a test gives its own)

    async def when_application_scored(self, tx: Tx, envelope: Envelope[ApplicationScored]) -> None:
        session, emit, clock = tx.session, _emit(tx), self.clock
        decision = when_application_scored_decide_route(envelope.data, self.reference, self.policy)
        # What the decision was made from, for a staff override to decide anew from; it is the first.
        await store.keep_decided(session, envelope, decision.policy_version, clock())
        await self._announce(session, envelope, envelope, decision, emit, clock, store.FIRST_DECISION)

    async def when_override_requested(self, tx: Tx, envelope: Envelope[OverrideRequested]) -> None:
        """A staff member's decision (sent by intake's console) becomes the current one."""
        session, emit, clock = tx.session, _emit(tx), self.clock
        scored_event, decision = await overrides.when_override_requested(session, envelope.data, self.reference,
                                                                         clock())
        await self._announce(session, envelope, scored_event, decision, emit, clock)
        # After the new decision: a project staff accept again takes a place first (likely the one it held), and
        # only a place left free goes to the waiting queue.
        await release.give_freed_place(session, envelope.id, self.experts, self.reference.home_factory, emit,
                                       clock())

    async def when_journey_step_recorded(self, tx: Tx, envelope: Envelope[JourneyStepRecorded]) -> None:
        """A completed or exited journey frees the expert's place, which goes to the waiting queue; any other
        record changes nothing (the subscriber need not even record it: `envelope.data.closes_journey`)."""
        if envelope.data.closes_journey:
            await release.when_journey_closes(tx.session, envelope, self.experts, self.reference.home_factory,
                                              _emit(tx), self.clock())

    async def when_referral_replied(self, tx: Tx, envelope: Envelope[ReferralReplied]) -> None:
        """A partner's answer, signed by that partner (checked before this runs)."""
        await referrals.answer(tx.session, envelope.data, self._exchange(_emit(tx), self.clock))

    async def expire_overdue_offers(self, tx: Tx) -> int:
        """Offers unanswered past their deadline go to staff; how many exchanges changed."""
        return await referrals.expire_due(tx.session, self._exchange(_emit(tx), self.clock))

    def candidates_for(self, scored: ApplicationScored, chosen: str) -> list[dict]:
        """The partners that fit well enough, the chosen one first, then by fit."""
        fitting = [f for f in eligible_partners(scored)
                   if f.score >= self.policy.forward_min_score or f.factory_id == chosen]
        ordered = sorted(fitting, key=lambda f: f.factory_id != chosen)
        return [{"factory_id": f.factory_id, "name": self.reference.factory(f.factory_id).name, "score": f.score,
                 "reasons": f.reasons} for f in ordered]

    async def _announce(self, session: AsyncSession, cause: Envelope, scored_event: Envelope[ApplicationScored],
                        decision: DecisionMade, emit: Emit, clock: Clock, sequence: int | None = None) -> None:
        """Make `decision`, caused by `cause`, the current one: an accepted project gets an expert, the decision
        its sequence number (`sequence` when the caller counted it already), and a forward the applicant
        consented to share opens the referral exchange, the chosen partner first."""
        scored = scored_event.data
        if scored.offer is not None:
            decision = decision.model_copy(update={"answers_offer_of": scored.offer.factory_id})
        if decision.outcome == "accept_local":
            sectors = [s.sector for s in scored.sectors if s.sector in self.reference.priorities]
            decision = decisions.with_expert(decision, await take_on(session, scored.application_id, sectors,
                                                                     self.experts, clock()))
        decision = (decision.model_copy(update={"sequence": sequence}) if sequence
                    else await store.numbered(session, decision))
        emit(session, DECISION_MADE, follow_up(cause.id, DECISION_MADE, decision, service=decisions.ROUTING,
                                               subject=scored.application_id,
                                               correlation_id=scored_event.correlationid))
        if scored.offer is not None:
            if (answer := referrals.answer_to_offer(scored.offer, decision, self.reference)) is not None:
                emit(session, answer.topic, follow_up(cause.id, answer.topic, answer.data, service=decisions.ROUTING,
                                                      subject=scored.offer.application_id,
                                                      correlation_id=scored_event.correlationid))
        elif decision.outcome == "forward" and decision.consent_to_share and decision.factory_id:
            await referrals.open_exchange(session, scored_event, self.candidates_for(scored, decision.factory_id),
                                          self._exchange(emit, clock))

    def _exchange(self, emit: Emit, clock: Clock) -> referrals.Exchange:
        return referrals.Exchange(self.reference.home_factory, self.answer_within, self.max_hops, emit,
                                  self._decide, clock)

    def _decide(self, scored: ApplicationScored, outcome: str, factory_id: str | None,
                reasons: list[str]) -> DecisionMade:
        return decisions.by_routing(scored, outcome, factory_id, reasons, self.policy.version)


def _emit(tx: Tx) -> Emit:
    """The inner modules' way to stage an event, `emit(session, topic, envelope)`, in `tx`."""
    def emit(_session: AsyncSession, topic, envelope: Envelope) -> None:
        tx.emit(topic, envelope)

    return emit
