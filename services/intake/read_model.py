"""The read model: what intake learns from the other services' events, for the status page and the console.

Each reaction returns the work to do in the transaction that also records the event in the inbox, so a
redelivered event changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ApplicationScored, DecisionMade, EmailSent, ReferralUpdated
from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.telemetry import current_trace_id

Work = Callable[[AsyncSession], Awaitable[None]]


def scored_summary(scored: ApplicationScored) -> str:
    sectors = ", ".join(finding.sector for finding in scored.sectors) or "none found"
    return (f"Scored under {scored.policy_version}: L-AIF priority fit {scored.priority_score}, "
            f"readiness {scored.readiness_score}; sectors: {sectors}")


def decision_summary(decision: DecisionMade) -> str:
    where = f" to {decision.factory_id}" if decision.outcome == "forward" else ""
    return f"Decision by {decision.decided_by}: {decision.outcome}{where}"


def email_summary(sent: EmailSent) -> str:
    return f"Email '{sent.subject}' sent to {sent.to} ({sent.language})"


def record(envelope: Envelope, summary: str, update: Callable[[ApplicationRecord], None]) -> Work:
    async def work(session: AsyncSession) -> None:
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

    return work


def when_application_scored(envelope: Envelope[ApplicationScored]) -> Work:
    def update(application: ApplicationRecord) -> None:
        application.scores = envelope.data.model_dump_json()
        application.advance("triaged")

    return record(envelope, scored_summary(envelope.data), update)


def when_decision_made(envelope: Envelope[DecisionMade]) -> Work:
    def update(application: ApplicationRecord) -> None:
        application.decision = envelope.data.model_dump_json()
        application.advance("decided")

    return record(envelope, decision_summary(envelope.data), update)


def when_referral_updated(envelope: Envelope[ReferralUpdated]) -> Work:
    return record(envelope, envelope.data.reason, lambda application: None)


def when_email_sent(envelope: Envelope[EmailSent]) -> Work:
    return record(envelope, email_summary(envelope.data), lambda application: None)
