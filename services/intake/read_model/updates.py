"""The read model: what intake learns from the other services' events, for the status page and the console.

Each reaction works in the transaction that also records the event in the inbox, so a redelivered event changes
nothing. Every event also lands in the application's timeline with its payload, which
the console shows (the referral steps, the emails sent and the decision each one announced). A decision or a
referral step older than the one the application shows (a dead letter replayed late) lands in the timeline only
(services/runtime/ordering.py): the row comes out the same whatever order the events arrive in, so a rebuild
from the topics gives it back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from contracts import profile
from contracts.envelope import Envelope
from contracts.events import ApplicationScored, DecisionMade, EmailSent, JourneyStepRecorded, ReferralUpdated
from contracts.topics import REFERRAL_UPDATED
from services.intake.journey.record import rows_of as journey_rows_of
from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.db import as_utc, insert_ignoring_duplicates
from services.runtime.ordering import is_older, is_stale
from services.runtime.reactions import Tx
from services.runtime.telemetry import current_trace_id

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
    return (f"Scored under {scored.policy_version}: {profile.selected().identity.short_name} priority fit "
            f"{scored.priority_score}, "
            f"readiness {scored.readiness_score}; sectors: {sectors}")


def decision_summary(decision: DecisionMade) -> str:
    where = f" to {decision.factory_id}" if decision.outcome == "forward" else ""
    return f"Decision by {decision.decided_by}: {decision.outcome}{where}"


def email_summary(sent: EmailSent) -> str:
    return f"Email '{sent.subject}' sent to {sent.to} ({sent.language})"


async def record(tx: Tx, envelope: Envelope, summary: str, update: Callable[[ApplicationRecord], None]) -> None:
    # Locked: the four reactions run side by side (one consumer group each), and each rewrites the queue
    # columns from the row it read; without the lock, a scored event read before a decision would write the
    # application back to 'triaged' after it.
    application = await tx.session.get(ApplicationRecord, envelope.subject, with_for_update=True)
    if application is None:
        # Raising sends the event to its dead-letter topic after the retries: an event about an
        # application intake never took in is worth a look, never silently dropped.
        raise LookupError(f"event {envelope.id} is about unknown application {envelope.subject}")
    update(application)
    refresh_queue_columns(application)
    # An event replayed late does not move the row back in time.
    application.updated_at = max(as_utc(application.updated_at), envelope.time)
    tx.add(application)
    tx.add(TimelineEntry(event_id=envelope.id, application_id=envelope.subject, time=envelope.time,
                         event=envelope.type, summary=summary, trace_id=current_trace_id(),
                         payload=envelope.data.model_dump_json(), caused_by=envelope.causationid))


async def when_application_scored(tx: Tx, envelope: Envelope[ApplicationScored]) -> None:
    def update(application: ApplicationRecord) -> None:
        application.scores = envelope.data.model_dump_json()
        application.sectors = sectors_column(envelope.data)
        application.advance("triaged")

    await record(tx, envelope, scored_summary(envelope.data), update)


async def when_decision_made(tx: Tx, envelope: Envelope[DecisionMade]) -> None:
    """The decision becomes the current one, unless a newer one is (services/runtime/ordering.py); either way it
    lands in the timeline at its time, as a rebuild from the topics puts it there."""
    def update(application: ApplicationRecord) -> None:
        applied = DecisionMade.model_validate_json(application.decision).sequence if application.decision else 0
        if is_stale(tx.service, envelope, applied):
            return
        application.decision = envelope.data.model_dump_json()
        application.advance("decided")

    await record(tx, envelope, decision_summary(envelope.data), update)


async def when_referral_updated(tx: Tx, envelope: Envelope[ReferralUpdated]) -> None:
    """The step becomes the exchange's latest, unless a later one is shown already (services/runtime/ordering.py:
    steps are ordered by their time); either way it lands in the timeline."""
    latest = await latest_referral_step(tx, envelope.subject)

    def update(application: ApplicationRecord) -> None:
        if is_older(tx.service, envelope, latest, "a referral step"):
            return
        application.referral_step = envelope.data.step
        application.referral_factory_id = envelope.data.factory_id

    await record(tx, envelope, envelope.data.reason, update)


async def latest_referral_step(tx: Tx, application_id: str) -> datetime | None:
    """The time of the latest referral step in the application's timeline."""
    latest = (await tx.exec(select(func.max(TimelineEntry.time))
                            .where(col(TimelineEntry.application_id) == application_id)
                            .where(col(TimelineEntry.event) == REFERRAL_UPDATED.event_type))).one()
    return as_utc(latest) if latest else None


async def when_email_sent(tx: Tx, envelope: Envelope[EmailSent]) -> None:
    await record(tx, envelope, email_summary(envelope.data), lambda application: None)


async def when_journey_step_recorded(tx: Tx, envelope: Envelope[JourneyStepRecorded]) -> None:
    """intake's own record, read back: the console staged the row and its timeline entry with the event, so
    here they are found already; into a database rebuilt from the topics, they are written anew."""
    if await tx.get(ApplicationRecord, envelope.subject) is None:
        raise LookupError(f"event {envelope.id} is about unknown application {envelope.subject}")
    for table, values in journey_rows_of(envelope):
        await tx.exec(insert_ignoring_duplicates(tx.session, table).values(**values))
