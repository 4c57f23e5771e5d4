"""The read model: what intake learns from the other services' events, for the status page and the console."""

from __future__ import annotations

from contracts.envelope import Envelope
from contracts.events import ApplicationScored, DecisionMade, EmailSent
from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.db import SessionFactory
from services.runtime.inbox import first_delivery
from services.runtime.telemetry import current_trace_id


def scored_summary(scored: ApplicationScored) -> str:
    sectors = ", ".join(finding.sector for finding in scored.sectors) or "none found"
    return (f"Scored under {scored.policy_version}: L-AIF priority fit {scored.priority_score}, "
            f"readiness {scored.readiness_score}; sectors: {sectors}")


def decision_summary(decision: DecisionMade) -> str:
    where = f" to {decision.factory_id}" if decision.outcome == "forward" else ""
    return f"Decision by {decision.decided_by}: {decision.outcome}{where}"


def email_summary(sent: EmailSent) -> str:
    return f"Email '{sent.subject}' sent to {sent.to} ({sent.language})"


async def record(sessions: SessionFactory, envelope: Envelope, summary: str, update) -> None:
    """Apply one event to the read model once: the inbox row, the record's change and the timeline entry
    commit together, so a redelivered event changes nothing."""
    async with sessions() as session:
        if not await first_delivery(session, envelope):
            return
        application = await session.get(ApplicationRecord, envelope.subject)
        if application is None:
            # Raising sends the event to its dead-letter topic after the retries: an event about an
            # application intake never took in is worth a look, never silently dropped.
            raise LookupError(f"event {envelope.id} is about unknown application {envelope.subject}")
        update(application)
        application.updated_at = envelope.time
        session.add(application)
        session.add(TimelineEntry(event_id=envelope.id, application_id=envelope.subject, time=envelope.time,
                                  event=envelope.type, summary=summary, trace_id=current_trace_id()))
        await session.commit()


async def when_application_scored(sessions: SessionFactory, envelope: Envelope[ApplicationScored]) -> None:
    def update(application: ApplicationRecord) -> None:
        application.scores = envelope.data.model_dump_json()
        application.advance("triaged")

    await record(sessions, envelope, scored_summary(envelope.data), update)


async def when_decision_made(sessions: SessionFactory, envelope: Envelope[DecisionMade]) -> None:
    def update(application: ApplicationRecord) -> None:
        application.decision = envelope.data.model_dump_json()
        application.advance("decided")

    await record(sessions, envelope, decision_summary(envelope.data), update)


async def when_email_sent(sessions: SessionFactory, envelope: Envelope[EmailSent]) -> None:
    await record(sessions, envelope, email_summary(envelope.data), lambda application: None)
