"""Releasing an expert: a project whose journey closed (an exit, or the step `completed`) leaves its expert, and
the freed place goes to the waiting queue, oldest first. The project taken on from the queue gets a new current
decision naming its expert (`from_waiting_queue`), which notify emails to its applicant.

Staff overrides free places too (services/routing/overrides.py releases, main.py then hands the place on).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ApplicationScored, DecisionMade, JourneyStepRecorded
from contracts.topics import DECISION_MADE, Topic
from services.routing.capacity import hand_back, take_from_queue
from services.routing.experts import Assignment, Expert
from services.routing.models import DecidedApplication
from services.runtime.messages import follow_up

log = logging.getLogger(__name__)

SERVICE = "routing"
TAKEN_FROM_QUEUE = "An expert's place came free: taken on from the waiting queue."
Emit = Callable[[AsyncSession, Topic, Envelope], None]


def decision_from_queue(scored: ApplicationScored, policy_version: str, home_factory: str,
                        assignment: Assignment) -> DecisionMade:
    """A waiting project taken on: accepted by the home factory as before, now with its expert, in routing's
    name and under the policy version of routing's decision for it; the reasons say why the expert came now."""
    assert assignment.expert is not None
    return DecisionMade(
        application_id=scored.application_id, outcome="accept_local", factory_id=home_factory,
        reasons=[TAKEN_FROM_QUEUE, assignment.reason], policy_version=policy_version, decided_by=SERVICE,
        consent_to_share=scored.consent_to_share, applicant=scored.applicant, expert_id=assignment.expert.id,
        expert_name=assignment.expert.name, waiting_for_expert=False, from_waiting_queue=True,
    )


async def give_freed_place(session: AsyncSession, cause_id: str, experts: tuple[Expert, ...], home_factory: str,
                           emit: Emit) -> str | None:
    """A place may have come free because of message `cause_id`: the oldest waiting project an expert can now
    take is taken on, and its new decision is staged in the same transaction. The event id derives from the cause
    and the project, so processing the cause again yields the same event. Returns the project taken, if any."""
    taken = await take_from_queue(session, experts)
    if taken is None:
        return None
    decided = await session.get(DecidedApplication, taken.application_id)
    if decided is None:  # every queued project was decided first (main.announce); a broken invariant, not data
        raise LookupError(f"waiting project {taken.application_id} has no decided_application row")
    scored_event = Envelope[ApplicationScored].model_validate_json(decided.scored_event)
    decision = decision_from_queue(scored_event.data, decided.policy_version, home_factory, taken.assignment)
    emit(session, DECISION_MADE, follow_up(cause_id, DECISION_MADE, decision, service=SERVICE,
                                           subject=taken.application_id,
                                           correlation_id=scored_event.correlation_id,
                                           discriminator=taken.application_id))
    log.info("application %s taken on from the waiting queue by %s", taken.application_id,
             taken.assignment.expert.id if taken.assignment.expert else "-")
    return taken.application_id


async def when_journey_closes(session: AsyncSession, envelope: Envelope[JourneyStepRecorded],
                              experts: tuple[Expert, ...], home_factory: str, emit: Emit) -> None:
    """The project completed or left its journey: its expert is released (and it leaves the waiting queue, if it
    was waiting), and the freed place goes to the oldest waiting project. Without an open assignment (released
    before, never taken on) nothing is freed and nothing else changes."""
    application_id = envelope.data.application_id
    expert_id = await hand_back(session, application_id)
    if expert_id is None:
        log.info("journey of application %s closed (%s); it has no open expert assignment: nothing to release",
                 application_id, envelope.data.record)
        return
    log.info("journey of application %s closed (%s): %s's place is free", application_id, envelope.data.record,
             expert_id)
    await give_freed_place(session, envelope.id, experts, home_factory, emit)
