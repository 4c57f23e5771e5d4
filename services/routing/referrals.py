"""The referral exchange with partner factories: offer the project to the best partner, and on a decline to the
next one, never twice to the same partner; after the last candidate (or `max_hops`) or a missed deadline, staff
take it up. Every step is an event: the offer on the partner's own topic, the step on the referral-updated
topic, and a new current decision when the destination changes.

Without the applicant's consent nothing is offered: routing opens no exchange at all (see `open_exchange`).
When staff change the decision, the exchange under way is closed (`close`): its offers are withdrawn, and a late
answer to one changes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import topics
from contracts.envelope import Envelope, now
from contracts.events import (
    ApplicationScored, Contact, DecisionMade, ReferralOffered, ReferralReplied, ReferralUpdated, ReferredProject,
)
from contracts.topics import DECISION_MADE, REFERRAL_UPDATED
from services.routing.models import ReferralCase, ReferralOffer
from services.runtime.dead_letter import PermanentError
from services.runtime.db import as_utc
from services.runtime.messages import follow_up

SERVICE = "routing"
Emit = Callable[[AsyncSession, topics.Topic, Envelope], None]
Decide = Callable[[ApplicationScored, str, str | None, list[str]], DecisionMade]


@dataclass(frozen=True)
class Exchange:
    home_factory: str
    answer_within: timedelta
    max_hops: int
    emit: Emit
    decide: Decide  # builds a new current decision: (scored, outcome, factory_id, reasons)


def _offer(scored: ApplicationScored, candidate: dict, offer: ReferralOffer, home: str) -> ReferralOffered:
    consent = scored.consent_to_share
    return ReferralOffered(
        application_id=scored.application_id, offer_id=offer.offer_id, factory_id=offer.factory_id,
        from_factory=home, attempt=offer.attempt, answer_by=offer.answer_by,
        project=ReferredProject(title=scored.applicant.project_title, summary=scored.summary or "",
                                sectors=[s.sector for s in scored.sectors],
                                data_readiness=scored.data_readiness or "none", stage=scored.stage or "idea"),
        fit_score=candidate["score"], reasons=candidate["reasons"], company_country=scored.company_country,
        company_size=scored.company_size,
        # Contact data leaves Luxembourg only with the applicant's consent.
        contact=Contact(name=scored.applicant.contact_name, email=scored.applicant.email,
                        language=scored.applicant.language) if consent else None,
        company_name=scored.applicant.company_name if consent else None,
    )


def _step(case: ReferralCase, scored: ApplicationScored, step: str, factory_id: str | None, attempt: int,
          reason: str, fact_id: str, exchange: Exchange, session: AsyncSession) -> None:
    updated = ReferralUpdated(application_id=case.application_id, factory_id=factory_id, step=step,
                              attempt=attempt, reason=reason, applicant=scored.applicant)
    exchange.emit(session, REFERRAL_UPDATED, follow_up(fact_id, REFERRAL_UPDATED, updated, service=SERVICE,
                                                       subject=case.application_id,
                                                       correlation_id=case.correlation_id, discriminator=step))


def _decision(case: ReferralCase, scored: ApplicationScored, outcome: str, factory_id: str | None,
              reasons: list[str], fact_id: str, exchange: Exchange, session: AsyncSession) -> None:
    decision = exchange.decide(scored, outcome, factory_id, reasons)
    exchange.emit(session, DECISION_MADE, follow_up(fact_id, DECISION_MADE, decision, service=SERVICE,
                                                    subject=case.application_id, correlation_id=case.correlation_id))


async def _make_offer(session: AsyncSession, case: ReferralCase, scored: ApplicationScored, attempt: int,
                      exchange: Exchange) -> ReferralOffer:
    candidate = json.loads(case.candidates)[attempt - 1]
    offer = ReferralOffer(offer_id=str(uuid.uuid4()), application_id=case.application_id,
                          factory_id=candidate["factory_id"], attempt=attempt, offered_at=now(),
                          answer_by=now() + exchange.answer_within)
    session.add(offer)
    offered = _offer(scored, candidate, offer, exchange.home_factory)
    exchange.emit(session, topics.referrals_to(offer.factory_id),
                  follow_up(offer.offer_id, topics.referrals_to(offer.factory_id), offered, service=SERVICE,
                            subject=case.application_id, correlation_id=case.correlation_id))
    _step(case, scored, "offered", offer.factory_id, attempt,
          f"Offered to {candidate['name']} (partner {attempt} of {len(json.loads(case.candidates))}), answer by "
          f"{offer.answer_by:%Y-%m-%d %H:%M} UTC", offer.offer_id, exchange, session)
    return offer


async def open_exchange(session: AsyncSession, scored_event: Envelope[ApplicationScored], candidates: list[dict],
                        exchange: Exchange) -> None:
    """A forward decision with consent: remember the candidates and offer the project to the first. A staff
    override to a forward starts anew on the case of an earlier exchange, closed by then."""
    scored = scored_event.data
    case = await session.get(ReferralCase, scored.application_id) or ReferralCase(application_id=scored.application_id)
    case.correlation_id, case.scored = scored_event.correlation_id, scored.model_dump_json()
    case.candidates, case.status = json.dumps(candidates[:exchange.max_hops]), "open"
    session.add(case)
    await _make_offer(session, case, scored, 1, exchange)


async def close(session: AsyncSession, application_id: str) -> None:
    """Staff changed the decision: the exchange under way ends, and its offers are withdrawn, so that a partner's
    late answer, or a deadline passing, changes nothing. (The offers' rows are locked, as `answer` and
    `expire_due` lock them: one of them goes first, the other then sees what it did.)"""
    case = await session.get(ReferralCase, application_id)
    if case is None or case.status != "open":
        return
    case.status = "closed"
    session.add(case)
    pending = await session.exec(select(ReferralOffer).where(col(ReferralOffer.application_id) == application_id)
                                 .where(col(ReferralOffer.status) == "offered").with_for_update())
    for offer in pending.all():
        offer.status = "withdrawn"
        session.add(offer)


async def _next_or_staff(session: AsyncSession, case: ReferralCase, offer: ReferralOffer, why: str,
                         exchange: Exchange) -> None:
    scored = ApplicationScored.model_validate_json(case.scored)
    candidates = json.loads(case.candidates)
    if offer.attempt < len(candidates):
        following = await _make_offer(session, case, scored, offer.attempt + 1, exchange)
        name = candidates[offer.attempt]["name"]
        _decision(case, scored, "forward", following.factory_id,
                  [f"{why} {name} fits next best.", *candidates[offer.attempt]["reasons"]], offer.offer_id,
                  exchange, session)
        return
    case.status = "exhausted"
    session.add(case)
    reason = f"{why} No other partner factory fits well enough: an intake expert takes the application up."
    _step(case, scored, "exhausted", None, offer.attempt, reason, offer.offer_id + "/exhausted", exchange, session)
    _decision(case, scored, "review", None, [reason], offer.offer_id, exchange, session)


async def answer(session: AsyncSession, reply: ReferralReplied, exchange: Exchange) -> None:
    """A partner's answer. It must name an offer made to that very partner; an answer to an offer that was
    answered, expired or withdrawn already changes nothing."""
    offer = (await session.exec(select(ReferralOffer).where(col(ReferralOffer.offer_id) == reply.offer_id)
                                .with_for_update())).first()
    if offer is None or offer.application_id != reply.application_id:
        raise PermanentError(f"no offer {reply.offer_id} for application {reply.application_id}")
    if offer.factory_id != reply.factory_id:
        raise PermanentError(f"partner {reply.factory_id} answered offer {reply.offer_id}, which was made to "
                             f"{offer.factory_id}")
    if offer.status != "offered":
        return
    case = await session.get(ReferralCase, offer.application_id)
    assert case is not None
    scored = ApplicationScored.model_validate_json(case.scored)
    name = json.loads(case.candidates)[offer.attempt - 1]["name"]
    offer.status, offer.answered_at, offer.reason = _STATUS[reply.answer], now(), reply.reason
    session.add(offer)
    because = f": {reply.reason}" if reply.reason else ""
    if reply.answer == "accept":
        case.status = "accepted"
        session.add(case)
        _step(case, scored, "accepted", offer.factory_id, offer.attempt, f"{name} accepted the referral{because}",
              offer.offer_id, exchange, session)
    elif reply.answer == "need_more_information":
        _step(case, scored, "need_more_information", offer.factory_id, offer.attempt,
              f"{name} needs more information{because}", offer.offer_id, exchange, session)
    else:
        _step(case, scored, "declined", offer.factory_id, offer.attempt, f"{name} declined the referral{because}",
              offer.offer_id, exchange, session)
        await _next_or_staff(session, case, offer, f"{name} declined{because}.", exchange)


_STATUS = {"accept": "accepted", "decline": "declined", "need_more_information": "need_more_information"}


async def expire_due(session: AsyncSession, exchange: Exchange) -> int:
    """Offers past their deadline with no answer go to staff (escalation); returns how many."""
    due = (await session.exec(select(ReferralOffer).where(col(ReferralOffer.status) == "offered")
                              .where(col(ReferralOffer.answer_by) < now()).with_for_update(skip_locked=True))).all()
    for offer in due:
        case = await session.get(ReferralCase, offer.application_id)
        assert case is not None
        scored = ApplicationScored.model_validate_json(case.scored)
        name = json.loads(case.candidates)[offer.attempt - 1]["name"]
        offer.status = "expired"
        case.status = "expired"
        session.add_all([offer, case])
        reason = (f"{name} did not answer by {as_utc(offer.answer_by):%Y-%m-%d %H:%M} UTC: the offer is escalated "
                  "to an intake expert.")
        _step(case, scored, "expired", offer.factory_id, offer.attempt, reason, offer.offer_id, exchange, session)
        _decision(case, scored, "review", None, [reason], offer.offer_id + "/expired", exchange, session)
    return len(due)
