"""The read model: what intake learns from the other services' events, for the status page and the console.

Each reaction returns the work to do in the transaction that also records the event in the inbox, so a
redelivered event changes nothing. Every event also lands in the application's timeline with its payload, which
the console shows (the referral steps, the emails sent and the decision each one announced).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ApplicationScored, DecisionMade, EmailSent, JourneyStepRecorded, ReferralUpdated
from services.intake.journey.record import rows_of as journey_rows_of
from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.db import insert_ignoring_duplicates
from services.runtime.telemetry import current_trace_id

Work = Callable[[AsyncSession], Awaitable[None]]

# Referral steps after which the partner has yet to take the project: it stands 'offered to a partner'.
OPEN_REFERRAL_STEPS = ("offered", "need_more_information")


def queue_status(decision: DecisionMade | None, referral_step: str | None, referral_factory_id: str | None) -> str:
    """Where an application stands in the staff console's queue (models.QUEUE_STATUSES). A forward is 'offered'
    while the partner it names has an open offer; decisions and referral steps come on different topics, so
    either may be seen first, and the status follows whatever is known."""
    if decision is None:
        return "received"
    if decision.outcome == "review":
        return "in_review"
    if decision.outcome == "accept_local" and decision.waiting_for_expert:
        return "waiting"
    if (decision.outcome == "forward" and referral_step in OPEN_REFERRAL_STEPS
            and referral_factory_id == decision.factory_id):
        return "offered"
    return "decided"


def sectors_column(scored: ApplicationScored) -> str:
    """The sectors as '|finance|insurance|': a filter on one is `LIKE '%|finance|%'`, on any database."""
    return "|" + "".join(f"{finding.sector}|" for finding in scored.sectors) if scored.sectors else ""


def refresh_queue_columns(application: ApplicationRecord) -> None:
    decision = DecisionMade.model_validate_json(application.decision) if application.decision else None
    application.outcome = decision.outcome if decision else None
    application.factory_id = decision.factory_id if decision else None
    application.queue_status = queue_status(decision, application.referral_step, application.referral_factory_id)


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
        # Locked: the four reactions run side by side (one consumer group each), and each rewrites the queue
        # columns from the row it read; without the lock, a scored event read before a decision would write the
        # application back to 'triaged' after it.
        application = await session.get(ApplicationRecord, envelope.subject, with_for_update=True)
        if application is None:
            # Raising sends the event to its dead-letter topic after the retries: an event about an
            # application intake never took in is worth a look, never silently dropped.
            raise LookupError(f"event {envelope.id} is about unknown application {envelope.subject}")
        update(application)
        refresh_queue_columns(application)
        application.updated_at = envelope.time
        session.add(application)
        session.add(TimelineEntry(event_id=envelope.id, application_id=envelope.subject, time=envelope.time,
                                  event=envelope.type, summary=summary, trace_id=current_trace_id(),
                                  payload=envelope.data.model_dump_json(), caused_by=envelope.causation_id))

    return work


def when_application_scored(envelope: Envelope[ApplicationScored]) -> Work:
    def update(application: ApplicationRecord) -> None:
        application.scores = envelope.data.model_dump_json()
        application.sectors = sectors_column(envelope.data)
        application.advance("triaged")

    return record(envelope, scored_summary(envelope.data), update)


def when_decision_made(envelope: Envelope[DecisionMade]) -> Work:
    def update(application: ApplicationRecord) -> None:
        application.decision = envelope.data.model_dump_json()
        application.advance("decided")

    return record(envelope, decision_summary(envelope.data), update)


def when_referral_updated(envelope: Envelope[ReferralUpdated]) -> Work:
    def update(application: ApplicationRecord) -> None:
        application.referral_step = envelope.data.step
        application.referral_factory_id = envelope.data.factory_id

    return record(envelope, envelope.data.reason, update)


def when_email_sent(envelope: Envelope[EmailSent]) -> Work:
    return record(envelope, email_summary(envelope.data), lambda application: None)


def when_journey_step_recorded(envelope: Envelope[JourneyStepRecorded]) -> Work:
    """intake's own record, read back: the console staged the row and its timeline entry with the event, so
    here they are found already; into a database rebuilt from the topics, they are written anew."""
    async def work(session: AsyncSession) -> None:
        if await session.get(ApplicationRecord, envelope.subject) is None:
            raise LookupError(f"event {envelope.id} is about unknown application {envelope.subject}")
        for table, values in journey_rows_of(envelope):
            statement = insert_ignoring_duplicates(session, table).values(**values)
            await session.exec(statement)  # type: ignore[call-overload]

    return work
