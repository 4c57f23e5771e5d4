"""routing: decides where each scored application goes, and gives accepted ones an expert.
Run: uvicorn services.routing.main:app"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm.exc import StaleDataError

from contracts import reference as reference_data
from contracts.topics import (
    APPLICATION_SCORED, ERASURE_REQUESTED, JOURNEY_STEP_RECORDED, OVERRIDE_REQUESTED, REFERRAL_REPLIES, replies_to,
)
from services.routing import privacy, store
from services.routing.experts import DEFAULT_EXPERTS, in_turn, load_experts, roster_is_sample, roster_version
from services.routing.handlers import load_policy
from services.routing.reactions import Routing
from services.runtime.reactions import Reactions, on
from services.runtime.partners import partner_keys
from services.runtime.service import Runtime, build_runtime, http_app
from services.runtime.settings import Settings

log = logging.getLogger(__name__)

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
PARTNER_KEYS = partner_keys(settings)


REACTIONS = Reactions(SERVICE, (
    on(APPLICATION_SCORED, SERVICE, routing.when_application_scored),
    on(OVERRIDE_REQUESTED, f"{SERVICE}.overrides", routing.when_override_requested),
    # Only a completed or exited journey changes anything here (it frees the expert's place, also for a project
    # whose applicant's data was erased).
    on(JOURNEY_STEP_RECORDED, f"{SERVICE}.journey", routing.when_journey_step_recorded,
       relevant=lambda envelope: envelope.data.closes_journey, erased_too=True),
    # Answers come from partners on the shared topic, and from partners' own instances on the topic of answers to
    # this factory, which MirrorMaker copies from their clusters (infra/federation.py).
    on((REFERRAL_REPLIES, replies_to(routing.reference.home_factory)), f"{SERVICE}.referrals",
       routing.when_referral_replied, signed_by=PARTNER_KEYS),
    on(ERASURE_REQUESTED, f"{SERVICE}.privacy", privacy.when_erasure_requested),
))
runtime.serve(REACTIONS)


async def expire_overdue_offers(rt: Runtime) -> None:
    async def sweep() -> None:
        try:
            async with rt.transaction() as tx:
                await routing.expire_overdue_offers(tx)
        except StaleDataError:
            # A partner's answer or a staff override changed an overdue offer first (models.ReferralOffer): the
            # round is rolled back, no error; the next one sees what they did.
            log.info("referral-deadlines: an overdue offer was answered or withdrawn meanwhile; next round in %.1f s",
                     settings.referral_check_seconds)

    rt.every(settings.referral_check_seconds, sweep, "referral-deadlines")


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
        "sample_roster": roster_is_sample(settings.experts_file),
        "experts": [{"id": e.id, "name": e.name, "skills": list(e.skills), "active": active.get(e.id, 0),
                     "max_active": e.max_active} for e in experts],
        "waiting": [{"application_id": w.application_id, "sectors": list(w.sectors),
                     "queued_at": w.queued_at.isoformat()} for w in waiting],
    }
