"""routing: decides where each scored application goes, and gives accepted ones an expert.
Run: uvicorn services.routing.main:app"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import reference as reference_data
from contracts.envelope import Envelope, now
from contracts.events import ApplicationScored, JourneyStepRecorded, OverrideRequested, ReferralReplied
from contracts.topics import APPLICATION_SCORED, JOURNEY_STEP_RECORDED, OVERRIDE_REQUESTED, REFERRAL_REPLIES
from services.routing import store
from services.routing.experts import DEFAULT_EXPERTS, in_turn, load_experts, roster_version
from services.routing.handlers import load_policy
from services.routing.reactions import Routing
from services.runtime.broker import subscribe
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
experts = load_experts(settings.experts_file, settings.expert_max_active)
routing = Routing(reference_data.load(), load_policy(), experts, timedelta(seconds=settings.referral_answer_seconds),
                  settings.referral_max_hops)
partner_keys = PartnerKeys.load(settings.partner_keys_path())


@subscribe(runtime.broker, APPLICATION_SCORED, group_id=SERVICE)
async def on_application_scored(envelope: Envelope[ApplicationScored]) -> None:
    async def decide_and_announce(session: AsyncSession) -> None:
        await routing.when_application_scored(session, envelope, runtime.emit, now)

    await runtime.process_once(envelope, decide_and_announce)


@subscribe(runtime.broker, OVERRIDE_REQUESTED, group_id=f"{SERVICE}.overrides")
async def on_override_requested(envelope: Envelope[OverrideRequested]) -> None:
    async def decide_as_staff(session: AsyncSession) -> None:
        await routing.when_override_requested(session, envelope, runtime.emit, now)

    await runtime.process_once(envelope, decide_as_staff)


@subscribe(runtime.broker, JOURNEY_STEP_RECORDED, group_id=f"{SERVICE}.journey")
async def on_journey_step_recorded(envelope: Envelope[JourneyStepRecorded]) -> None:
    if not envelope.data.closes_journey:
        return  # the project stays with its expert: nothing changes here, nothing to record

    async def release_and_hand_on(session: AsyncSession) -> None:
        await routing.when_journey_step_recorded(session, envelope, runtime.emit, now)

    await runtime.process_once(envelope, release_and_hand_on)


@subscribe(runtime.broker, REFERRAL_REPLIES, group_id=f"{SERVICE}.referrals", partner_keys=partner_keys)
async def on_referral_replied(envelope: Envelope[ReferralReplied]) -> None:
    async def take_answer(session: AsyncSession) -> None:
        await routing.when_referral_replied(session, envelope, runtime.emit, now)

    await runtime.process_once(envelope, take_answer)


async def expire_overdue_offers(rt) -> None:
    async def sweep() -> None:
        while True:
            async with rt.sessions() as session:
                if await routing.expire_overdue_offers(session, runtime.emit, now):
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
        active = await store.active_projects(session)
        waiting = in_turn(await store.waiting_queue(session))
    return {
        "roster_version": roster_version(settings.experts_file),
        "experts": [{"id": e.id, "name": e.name, "skills": list(e.skills), "active": active.get(e.id, 0),
                     "max_active": e.max_active} for e in experts],
        "waiting": [{"application_id": w.application_id, "sectors": list(w.sectors),
                     "queued_at": w.queued_at.isoformat()} for w in waiting],
    }
