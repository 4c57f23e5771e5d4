"""Releasing an expert: a project whose journey closed (an exit, or the step `completed`) leaves its expert, and
the freed place goes to the waiting queue, oldest first. The project taken on from the queue gets a new current
decision naming its expert (decisions.taken_from_queue), which notify emails to its applicant.

Staff overrides free places too (overrides.py releases, reactions.py then hands the place on).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.events import JourneyStepRecorded
from contracts.topics import DECISION_MADE
from services.routing import decisions, store
from services.routing.capacity import hand_back, take_from_queue
# TAKEN_FROM_QUEUE, the reason a decision from the queue opens with, is read from here too.
from services.routing.decisions import ROUTING, TAKEN_FROM_QUEUE
from services.routing.experts import Expert
from services.routing.referrals import Emit
from services.runtime.messages import follow_up

log = logging.getLogger(__name__)


async def give_freed_place(session: AsyncSession, cause_id: str, experts: tuple[Expert, ...], home_factory: str,
                           emit: Emit, at: datetime) -> str | None:
    """A place may have come free because of message `cause_id`: the oldest waiting project an expert can now
    take is taken on, and its new decision is staged in the same transaction. The event id derives from the cause
    and the project, so processing the cause again yields the same event. Returns the project taken, if any."""
    taken = await take_from_queue(session, experts, at)
    if taken is None:
        return None
    found = await store.decided(session, taken.application_id)
    if found is None:  # every queued project was decided first (reactions.py); a broken invariant, not data
        raise LookupError(f"waiting project {taken.application_id} has no decided_application row")
    scored_event, policy_version = found
    decision = await store.numbered(session, decisions.taken_from_queue(scored_event.data, policy_version,
                                                                        home_factory, taken.assignment))
    emit(session, DECISION_MADE, follow_up(cause_id, DECISION_MADE, decision, service=ROUTING,
                                           subject=taken.application_id,
                                           correlation_id=scored_event.correlationid,
                                           discriminator=taken.application_id))
    log.info("application %s taken on from the waiting queue by %s", taken.application_id, decision.expert_id)
    return taken.application_id


async def when_journey_closes(session: AsyncSession, envelope: Envelope[JourneyStepRecorded],
                              experts: tuple[Expert, ...], home_factory: str, emit: Emit, at: datetime) -> None:
    """The project completed or left its journey: its expert is released (and it leaves the waiting queue, if it
    was waiting), and the freed place goes to the oldest waiting project. Without an open assignment (released
    before, never taken on) nothing is freed and nothing else changes."""
    application_id = envelope.data.application_id
    expert_id = await hand_back(session, application_id, at)
    if expert_id is None:
        log.info("journey of application %s closed (%s); it has no open expert assignment: nothing to release",
                 application_id, envelope.data.record)
        return
    log.info("journey of application %s closed (%s): %s's place is free", application_id, envelope.data.record,
             expert_id)
    await give_freed_place(session, envelope.id, experts, home_factory, emit, at)
