"""routing: decides where each scored application goes, and gives accepted ones an expert.
Run: uvicorn services.routing.main:app"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import reference as reference_data
from contracts.envelope import Envelope, now
from contracts.events import ApplicationScored, DecisionMade, JourneyStepRecorded, OverrideRequested, ReferralReplied
from contracts.topics import (
    APPLICATION_SCORED, DECISION_MADE, JOURNEY_STEP_RECORDED, OVERRIDE_REQUESTED, REFERRAL_REPLIES,
)
from services.routing import overrides, referrals, release
from services.routing.capacity import active_projects, sectors_of, take_on, waiting_queue
from services.routing.experts import DEFAULT_EXPERTS, load_experts, roster_version
from services.routing.handlers import eligible_partners, load_policy, when_application_scored_decide_route
from services.routing.models import DecidedApplication
from services.runtime.broker import subscribe
from services.runtime.db import as_utc
from services.runtime.messages import follow_up
from services.runtime.partners import PartnerKeys
from services.runtime.service import build_runtime, http_app
from services.runtime.settings import Settings

SERVICE = "routing"


class RoutingSettings(Settings):
    experts_file: Path = DEFAULT_EXPERTS
    # Overrides every expert's max_active of the roster (e.g. to try a smaller team).
    expert_max_active: int | None = None
    # The referral exchange: how long a partner has to answer, how many partners are asked at most, and how
    # often overdue offers are looked for.
    referral_answer_seconds: float = 2 * 24 * 3600
    referral_max_hops: int = 3
    referral_check_seconds: float = 1.0


runtime = build_runtime(SERVICE, settings_class=RoutingSettings)
settings: RoutingSettings = runtime.settings  # type: ignore[assignment]
reference = reference_data.load()
policy = load_policy()
experts = load_experts(settings.experts_file, settings.expert_max_active)
partner_keys = PartnerKeys.load(settings.partner_keys_path())


def new_decision(scored: ApplicationScored, outcome: str, factory_id: str | None, reasons: list[str]) -> DecisionMade:
    return DecisionMade(application_id=scored.application_id, outcome=outcome, factory_id=factory_id,
                        reasons=reasons, policy_version=f"{scored.policy_version}+{policy.version}",
                        decided_by=SERVICE, consent_to_share=scored.consent_to_share, applicant=scored.applicant)


exchange = referrals.Exchange(reference.home_factory, timedelta(seconds=settings.referral_answer_seconds),
                              settings.referral_max_hops, runtime.emit, new_decision)


def candidates_for(scored: ApplicationScored, chosen: str) -> list[dict]:
    """The partners that fit well enough, the chosen one first, then by fit."""
    fitting = [f for f in eligible_partners(scored) if f.score >= policy.forward_min_score or f.factory_id == chosen]
    ordered = sorted(fitting, key=lambda f: f.factory_id != chosen)
    return [{"factory_id": f.factory_id, "name": reference.factory(f.factory_id).name, "score": f.score,
             "reasons": f.reasons} for f in ordered]


async def with_expert(session: AsyncSession, scored: ApplicationScored, decision: DecisionMade) -> DecisionMade:
    sectors = [s.sector for s in scored.sectors if s.sector in reference.priorities]
    assignment = await take_on(session, scored.application_id, sectors, experts)
    expert = assignment.expert
    return decision.model_copy(update={
        "expert_id": expert.id if expert else None, "expert_name": expert.name if expert else None,
        "waiting_for_expert": expert is None,
        "reasons": [decision.reasons[0], assignment.reason, *decision.reasons[1:]],
    })


async def announce(session: AsyncSession, cause: Envelope, scored_event: Envelope[ApplicationScored],
                   decision: DecisionMade) -> None:
    """Make `decision`, caused by `cause`, the current one: an accepted project gets an expert, and a forward the
    applicant consented to share opens the referral exchange, the chosen partner first."""
    scored = scored_event.data
    final = await with_expert(session, scored, decision) if decision.outcome == "accept_local" else decision
    runtime.emit(session, DECISION_MADE, follow_up(cause.id, DECISION_MADE, final, service=SERVICE,
                                                   subject=scored.application_id,
                                                   correlation_id=scored_event.correlation_id))
    if decision.outcome == "forward" and decision.consent_to_share and decision.factory_id:
        await referrals.open_exchange(session, scored_event, candidates_for(scored, decision.factory_id), exchange)


@subscribe(runtime.broker, APPLICATION_SCORED, group_id=SERVICE)
async def on_application_scored(envelope: Envelope[ApplicationScored]) -> None:
    decision = when_application_scored_decide_route(envelope.data, reference, policy)

    async def decide_and_announce(session: AsyncSession) -> None:
        # What the decision was made from, for a staff override to decide anew from.
        session.add(DecidedApplication(application_id=envelope.data.application_id,
                                       scored_event=envelope.model_dump_json(),
                                       policy_version=decision.policy_version, decided_at=now()))
        await announce(session, envelope, envelope, decision)

    await runtime.process_once(envelope, decide_and_announce)


@subscribe(runtime.broker, OVERRIDE_REQUESTED, group_id=f"{SERVICE}.overrides")
async def on_override_requested(envelope: Envelope[OverrideRequested]) -> None:
    """A staff member's decision (sent by intake's console) becomes the current one."""

    async def decide_as_staff(session: AsyncSession) -> None:
        scored_event, decision = await overrides.when_override_requested(session, envelope.data, reference)
        await announce(session, envelope, scored_event, decision)
        # After the new decision: a project staff accept again takes a place first (likely the one it held), and
        # only a place left free goes to the waiting queue.
        await release.give_freed_place(session, envelope.id, experts, reference.home_factory, runtime.emit)

    await runtime.process_once(envelope, decide_as_staff)


@subscribe(runtime.broker, JOURNEY_STEP_RECORDED, group_id=f"{SERVICE}.journey")
async def on_journey_step_recorded(envelope: Envelope[JourneyStepRecorded]) -> None:
    """An expert recorded a step of a project's journey (in intake's console): a completed or exited journey
    frees the expert's place, which goes to the waiting queue."""
    if not envelope.data.closes_journey:
        return  # the project stays with its expert: nothing changes here, nothing to record

    async def release_and_hand_on(session: AsyncSession) -> None:
        await release.when_journey_closes(session, envelope, experts, reference.home_factory, runtime.emit)

    await runtime.process_once(envelope, release_and_hand_on)


@subscribe(runtime.broker, REFERRAL_REPLIES, group_id=f"{SERVICE}.referrals", partner_keys=partner_keys)
async def on_referral_replied(envelope: Envelope[ReferralReplied]) -> None:
    """A partner's answer, signed by that partner (checked before this handler runs)."""

    async def take_answer(session: AsyncSession) -> None:
        await referrals.answer(session, envelope.data, exchange)

    await runtime.process_once(envelope, take_answer)


async def expire_overdue_offers(rt) -> None:
    async def sweep() -> None:
        while True:
            async with rt.sessions() as session:
                if await referrals.expire_due(session, exchange):
                    await session.commit()
                    rt.relay.wake()
            await asyncio.sleep(settings.referral_check_seconds)

    rt.spawn(sweep(), name="referral-deadlines")


app = http_app(runtime, title="Aiguillage routing",
               description="Decisions: accept (with an expert), forward, decline or review; referrals to partners.",
               on_startup=[expire_overdue_offers])


@app.get("/v1/experts", tags=["experts"], summary="Each expert's active projects against their capacity, and the "
                                                   "accepted projects waiting for an expert, oldest first")
async def experts_and_queue() -> dict:
    async with runtime.sessions() as session:
        active = await active_projects(session)
        waiting = await waiting_queue(session)
    return {
        "roster_version": roster_version(settings.experts_file),
        "experts": [{"id": e.id, "name": e.name, "skills": list(e.skills), "active": active.get(e.id, 0),
                     "max_active": e.max_active} for e in experts],
        "waiting": [{"application_id": w.application_id, "sectors": sectors_of(w),
                     "queued_at": as_utc(w.queued_at).isoformat()} for w in waiting],
    }
