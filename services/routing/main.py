"""routing: decides where each scored application goes, and gives accepted ones an expert.
Run: uvicorn services.routing.main:app"""

from __future__ import annotations

from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import reference as reference_data
from contracts.envelope import Envelope
from contracts.events import ApplicationScored, DecisionMade
from contracts.topics import APPLICATION_SCORED, DECISION_MADE
from services.routing.capacity import active_projects, take_on, waiting_queue
from services.routing.experts import DEFAULT_EXPERTS, load_experts, roster_version
from services.routing.handlers import load_policy, when_application_scored_decide_route
from services.runtime.broker import subscribe
from services.runtime.db import as_utc
from services.runtime.messages import caused_by
from services.runtime.service import build_runtime, http_app
from services.runtime.settings import Settings

SERVICE = "routing"


class RoutingSettings(Settings):
    experts_file: Path = DEFAULT_EXPERTS
    # Overrides every expert's max_active of the roster (e.g. to try a smaller team).
    expert_max_active: int | None = None


runtime = build_runtime(SERVICE, settings_class=RoutingSettings)
settings: RoutingSettings = runtime.settings  # type: ignore[assignment]
reference = reference_data.load()
policy = load_policy()
experts = load_experts(settings.experts_file, settings.expert_max_active)


async def with_expert(session: AsyncSession, scored: ApplicationScored, decision: DecisionMade) -> DecisionMade:
    sectors = [s.sector for s in scored.sectors if s.sector in reference.priorities]
    assignment = await take_on(session, scored.application_id, sectors, experts)
    expert = assignment.expert
    return decision.model_copy(update={
        "expert_id": expert.id if expert else None, "expert_name": expert.name if expert else None,
        "waiting_for_expert": expert is None,
        "reasons": [decision.reasons[0], assignment.reason, *decision.reasons[1:]],
    })


@subscribe(runtime.broker, APPLICATION_SCORED, group_id=SERVICE)
async def on_application_scored(envelope: Envelope[ApplicationScored]) -> None:
    decision = when_application_scored_decide_route(envelope.data, reference, policy)

    async def decide_and_announce(session: AsyncSession) -> None:
        final = await with_expert(session, envelope.data, decision) if decision.outcome == "accept_local" else decision
        runtime.emit(session, DECISION_MADE, caused_by(envelope, DECISION_MADE, final, service=SERVICE))

    await runtime.process_once(envelope, decide_and_announce)


app = http_app(runtime, title="Aiguillage routing",
               description="Decisions: accept (with an expert), forward, decline or review.")


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
        "waiting": [{"application_id": w.application_id, "sectors": w.sectors.split(",") if w.sectors else [],
                     "queued_at": as_utc(w.queued_at).isoformat()} for w in waiting],
    }
