"""intake: the public API and the read model. Run: uvicorn services.intake.main:app --port 8000"""

from __future__ import annotations

from contracts.envelope import Envelope
from contracts.events import ApplicationScored, DecisionMade, EmailSent
from contracts.topics import APPLICATION_SCORED, DECISION_MADE, EMAIL_SENT
from services.intake import api, read_model
from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.broker import subscribe
from services.runtime.inbox import ProcessedEvent
from services.runtime.outbox import OutboxMessage, OutboxRelay
from services.runtime.service import Runtime, build_runtime, http_app
from services.runtime.settings import Settings

SERVICE = "intake"


class IntakeSettings(Settings):
    # The address applicants see in their status links; by default the address they called.
    public_base_url: str | None = None


runtime = build_runtime(SERVICE, tables=(ApplicationRecord, TimelineEntry, OutboxMessage, ProcessedEvent),
                        settings_class=IntakeSettings)
relay = OutboxRelay(runtime.sessions, runtime.broker)


@subscribe(runtime.broker, APPLICATION_SCORED, group_id=f"{SERVICE}.read-model.scored")
async def on_application_scored(envelope: Envelope[ApplicationScored]) -> None:
    await read_model.when_application_scored(runtime.sessions, envelope)


@subscribe(runtime.broker, DECISION_MADE, group_id=f"{SERVICE}.read-model.decisions")
async def on_decision_made(envelope: Envelope[DecisionMade]) -> None:
    await read_model.when_decision_made(runtime.sessions, envelope)


@subscribe(runtime.broker, EMAIL_SENT, group_id=f"{SERVICE}.read-model.emails")
async def on_email_sent(envelope: Envelope[EmailSent]) -> None:
    await read_model.when_email_sent(runtime.sessions, envelope)


async def start_relay(rt: Runtime) -> None:
    rt.spawn(relay.run(), name="outbox-relay")


app = http_app(runtime, title="Aiguillage intake",
               description="Applications to the Luxembourg AI Factory: submit one, follow it.",
               on_startup=[start_relay])
api.install(app, api.router(runtime.sessions, relay, runtime.tracing, runtime.settings.public_base_url))
