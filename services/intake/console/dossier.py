"""Everything the console shows about one application, read from intake's read model.

The emails are intake's record of notify's `email-sent` events; their bodies are not in those events, so the
console renders each one again with notify's own renderer from the event the email announced (kept in the
timeline). The rendering is today's wording: if notify's words changed since, the subject tells (it no longer
matches the one sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import reference
from contracts.events import (
    ApplicationScored, ApplicationSubmitted, DecisionMade, EmailSent, JourneyStepRecorded, ReferralUpdated,
)
from contracts.topics import DECISION_MADE, EMAIL_SENT, JOURNEY_STEP_RECORDED, REFERRAL_UPDATED
from services.intake.journey.record import journey_rows, parsed
from services.intake.journey.steps import Journey, fold
from services.intake.models import ApplicationRecord, TimelineEntry
from services.notify.render import render_decision, render_journey_milestone, render_referral_accepted
from services.runtime.db import as_utc


@dataclass(frozen=True)
class SentEmail:
    sent: EmailSent
    body: str | None  # None when the event it announced is not in the timeline (kept since the console exists)
    same_wording: bool  # the rendering's subject is the one sent


@dataclass(frozen=True)
class ReferralStep:
    time: datetime
    step: ReferralUpdated


@dataclass(frozen=True)
class Dossier:
    application: ApplicationRecord
    submitted: ApplicationSubmitted
    scored: ApplicationScored | None
    decision: DecisionMade | None
    timeline: list[TimelineEntry]
    referral_steps: list[ReferralStep]
    emails: list[SentEmail]
    journey: Journey
    journey_records: list[tuple[datetime, JourneyStepRecorded]]  # when recorded, and what, in order


def rendered(email: EmailSent, cause: TimelineEntry | None) -> SentEmail:
    """The email as notify renders the event that caused it."""
    if cause is None or cause.payload is None:
        return SentEmail(email, None, False)
    if cause.event == DECISION_MADE.event_type:
        again = render_decision(DecisionMade.model_validate_json(cause.payload), reference.load())
    elif cause.event == REFERRAL_UPDATED.event_type:
        again = render_referral_accepted(ReferralUpdated.model_validate_json(cause.payload), reference.load())
    elif cause.event == JOURNEY_STEP_RECORDED.event_type:
        again = render_journey_milestone(JourneyStepRecorded.model_validate_json(cause.payload), reference.load())
    else:
        return SentEmail(email, None, False)
    return SentEmail(email, again.body, again.subject == email.subject)


async def load(session: AsyncSession, application_id: str) -> Dossier | None:
    application = await session.get(ApplicationRecord, application_id)
    if application is None:
        return None
    timeline = list((await session.exec(
        select(TimelineEntry).where(col(TimelineEntry.application_id) == application_id)
        .order_by(col(TimelineEntry.time), col(TimelineEntry.event_id)))).all())
    by_id = {entry.event_id: entry for entry in timeline}
    rows = await journey_rows(session, application_id)
    records = parsed(rows)
    with_payload = [entry for entry in timeline if entry.payload]
    return Dossier(
        application=application,
        submitted=ApplicationSubmitted.model_validate_json(application.submitted),
        scored=ApplicationScored.model_validate_json(application.scores) if application.scores else None,
        decision=DecisionMade.model_validate_json(application.decision) if application.decision else None,
        timeline=timeline,
        referral_steps=[ReferralStep(as_utc(entry.time), ReferralUpdated.model_validate_json(entry.payload))
                        for entry in with_payload if entry.event == REFERRAL_UPDATED.event_type],
        emails=[rendered(EmailSent.model_validate_json(entry.payload), by_id.get(entry.caused_by or ""))
                for entry in with_payload if entry.event == EMAIL_SENT.event_type],
        journey=fold(records),
        journey_records=[(as_utc(row.recorded_at), record) for row, (_, record) in zip(rows, records)],
    )
