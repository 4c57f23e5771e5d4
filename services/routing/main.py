"""routing: decides where each scored application goes. Run: uvicorn services.routing.main:app"""

from __future__ import annotations

from contracts import reference as reference_data
from contracts.envelope import Envelope
from contracts.events import ApplicationScored
from contracts.topics import APPLICATION_SCORED, DECISION_MADE
from services.routing.handlers import load_policy, when_application_scored_decide_route
from services.runtime.broker import subscribe
from services.runtime.messages import caused_by
from services.runtime.service import build_runtime, http_app

SERVICE = "routing"
runtime = build_runtime(SERVICE)
reference = reference_data.load()
policy = load_policy()


@subscribe(runtime.broker, APPLICATION_SCORED, group_id=SERVICE)
async def on_application_scored(envelope: Envelope[ApplicationScored]) -> None:
    decision = caused_by(envelope, DECISION_MADE, when_application_scored_decide_route(envelope.data, reference, policy),
                         service=SERVICE)
    await runtime.react(envelope, DECISION_MADE, decision)


app = http_app(runtime, title="Aiguillage routing", description="Decisions: accept, forward, decline or review.")
