"""Everything the console shows about one application, read from intake's read model.

The emails are intake's record of notify's `email-sent` events, each with the text as it was sent (`body`); an
email sent before notify recorded the text has none, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import (
    ApplicationScored, ApplicationSubmitted, DecisionMade, EmailSent, JourneyStepRecorded, ReferralUpdated,
)
from contracts.topics import EMAIL_SENT, REFERRAL_UPDATED
from services.intake.journey.record import journey_rows, parsed
from services.intake.journey.steps import Journey, fold
from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.db import as_utc


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
    emails: list[EmailSent]
    journey: Journey
    journey_records: list[tuple[datetime, JourneyStepRecorded]]  # when recorded, and what, in order


async def load(session: AsyncSession, application_id: str) -> Dossier | None:
    application = await session.get(ApplicationRecord, application_id)
    if application is None:
        return None
    timeline = list((await session.exec(
        select(TimelineEntry).where(col(TimelineEntry.application_id) == application_id)
        .order_by(col(TimelineEntry.time), col(TimelineEntry.event_id)))).all())
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
        emails=[EmailSent.model_validate_json(entry.payload) for entry in with_payload
                if entry.event == EMAIL_SENT.event_type],
        journey=fold(records),
        journey_records=[(as_utc(row.recorded_at), record) for row, (_, record) in zip(rows, records)],
    )
