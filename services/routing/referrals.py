"""The referral exchange's wiring: each event reads the application's exchange from the store, lets the state
machine (exchange.py) decide, writes the new state back and announces the effects, in the caller's transaction:
the offer on the partner's own topic, the step on aif.routing.referral-updated.v1, a new current decision when
the destination changes. An answer routing cannot take is a PermanentError (a dead letter naming why).

Without the applicant's consent nothing is offered: routing opens no exchange at all (reactions.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import topics
from contracts.envelope import Envelope, now
from contracts.events import (
    ApplicationScored, Contact, DecisionMade, OfferAnswered, ReferralOffered, ReferralReplied, ReferralUpdated,
    ReferredProject,
)
from contracts.reference import Reference
from contracts.topics import DECISION_MADE, REFERRAL_UPDATED
from services.routing import exchange, store
from services.routing.decisions import ROUTING
from services.runtime.dead_letter import PermanentError
from services.runtime.messages import follow_up

log = logging.getLogger(__name__)

Emit = Callable[[AsyncSession, topics.Topic, Envelope], None]
Decide = Callable[[ApplicationScored, str, str | None, list[str]], DecisionMade]


@dataclass(frozen=True)
class Exchange:
    """What the exchange's wiring works with: the home factory (the offers' sender), the rules, where the events
    go, how a new current decision is made, and the clock."""

    home_factory: str
    answer_within: timedelta
    max_hops: int
    emit: Emit
    decide: Decide  # routing's new current decision: (scored, outcome, factory_id, reasons), decisions.by_routing
    clock: Callable[[], datetime] = now

    @property
    def rules(self) -> exchange.Rules:
        return exchange.Rules(self.answer_within, self.max_hops)


async def open_exchange(session: AsyncSession, scored_event: Envelope[ApplicationScored],
                        candidates: Iterable[Mapping], setup: Exchange) -> None:
    """A forward decision with consent: offer the project to the first of `candidates` ({factory_id, name, score,
    reasons}, the chosen partner first). A staff override to a forward opens anew an exchange closed by then."""
    stored = await store.referral(session, scored_event.data.application_id)
    state, effects = exchange.open(stored.state, store.candidates_of(candidates), setup.rules, setup.clock())
    store.save_referral(session, stored, state, opened_by=scored_event)
    await _announce(session, scored_event.data, scored_event.correlationid, effects, setup)


async def close(session: AsyncSession, application_id: str) -> None:
    """Staff changed the decision: the exchange under way ends, and its offers are withdrawn."""
    stored = await store.referral(session, application_id)
    state, effects = exchange.close(stored.state)
    store.save_referral(session, stored, state)
    for effect in effects:
        if isinstance(effect, exchange.Withdrawn):
            log.info("offer %s to %s withdrawn: staff changed the decision on application %s",
                     effect.offer.offer_id, effect.offer.factory_id, application_id)


async def answer(session: AsyncSession, reply: ReferralReplied, setup: Exchange) -> None:
    """A partner's answer (its signature checked already)."""
    stored = await store.referral(session, reply.application_id)
    state, effects = exchange.answer(stored.state, reply.offer_id, reply.factory_id, reply.answer, reply.reason,
                                     setup.rules, setup.clock())
    for effect in effects:
        if isinstance(effect, exchange.Refused):
            raise PermanentError(effect.reason)
    await _save_and_announce(session, stored, state, effects, setup)


async def expire_due(session: AsyncSession, setup: Exchange) -> int:
    """Offers past their deadline with no answer go to staff (escalation); returns how many exchanges."""
    at = setup.clock()
    overdue = await store.overdue_referrals(session, at)
    for application_id in overdue:
        stored = await store.referral(session, application_id, lock=False)  # its overdue offer is locked already
        state, effects = exchange.expire(stored.state, at)
        await _save_and_announce(session, stored, state, effects, setup)
    return len(overdue)


async def _save_and_announce(session: AsyncSession, stored: store.Referral, state: exchange.State,
                             effects: tuple[exchange.Effect, ...], setup: Exchange) -> None:
    store.save_referral(session, stored, state)
    if effects:
        await _announce(session, stored.scored, stored.correlation_id, effects, setup)


async def _announce(session: AsyncSession, scored: ApplicationScored, correlation_id: str,
                    effects: tuple[exchange.Effect, ...], setup: Exchange) -> None:
    """The effects as events, in their order, each with an id derived from the fact it follows from; a new
    decision with the application's next sequence number."""
    def emit(cause: str, topic: topics.Topic, data, discriminator: str = "") -> None:
        setup.emit(session, topic, follow_up(cause, topic, data, service=ROUTING,
                                                 subject=scored.application_id, correlation_id=correlation_id,
                                                 discriminator=discriminator))

    for effect in effects:
        if isinstance(effect, exchange.Offered):
            offered = _offered(scored, effect, setup.home_factory)
            emit(effect.offer.offer_id, topics.referrals_to(effect.offer.factory_id), offered)
        elif isinstance(effect, exchange.Updated):
            emit(effect.cause, REFERRAL_UPDATED, ReferralUpdated(
                application_id=scored.application_id, factory_id=effect.factory_id, step=effect.step,
                attempt=effect.attempt, reason=effect.reason, applicant=scored.applicant), effect.step)
        elif isinstance(effect, exchange.Decided):
            decision = setup.decide(scored, effect.outcome, effect.factory_id, list(effect.reasons))
            emit(effect.cause, DECISION_MADE, await store.numbered(session, decision))


class Answer(NamedTuple):
    topic: topics.Topic
    data: ReferralReplied


def answer_to_offer(offer: OfferAnswered, decision: DecisionMade, reference: Reference) -> Answer | None:
    """The answer to the partner instance whose offer the application is, from the home factory's decision on it:
    an acceptance, or a decline with the decision's first reason; none while staff review it (their decision
    answers)."""
    if decision.outcome == "review":
        return None
    accepted = decision.outcome == "accept_local"
    with_expert = f", with {decision.expert_name}" if decision.expert_name else ""
    reason = f"{reference.home_name} takes the project{with_expert}." if accepted else decision.reasons[0]
    return Answer(topics.replies_to(offer.factory_id), ReferralReplied(
        application_id=offer.application_id, offer_id=offer.offer_id, factory_id=reference.home_factory,
        answer="accept" if accepted else "decline", reason=reason[:500]))


def _offered(scored: ApplicationScored, effect: exchange.Offered, home: str) -> ReferralOffered:
    offer, consent = effect.offer, scored.consent_to_share
    return ReferralOffered(
        application_id=scored.application_id, offer_id=offer.offer_id, factory_id=offer.factory_id,
        from_factory=home, attempt=offer.attempt, answer_by=offer.answer_by,
        project=ReferredProject(title=scored.applicant.project_title, summary=scored.summary or "",
                                sectors=[s.sector for s in scored.sectors],
                                data_readiness=scored.data_readiness or "none", stage=scored.stage or "idea"),
        fit_score=effect.candidate.score, reasons=list(effect.candidate.reasons),
        company_country=scored.company_country, company_size=scored.company_size,
        # Contact data leaves the home factory only with the applicant's consent.
        contact=Contact(name=scored.applicant.contact_name, email=scored.applicant.email,
                        language=scored.applicant.language) if consent else None,
        company_name=scored.applicant.company_name if consent else None,
        consent_to_share=consent, hops=[*scored.hops, home],
    )
