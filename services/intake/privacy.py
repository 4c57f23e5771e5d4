"""Erasure, intake's side: a staff member (or the retention job) erases an application's personal data.

`stage_erasure` anonymises intake's copies at once and stages aif.privacy.erasure-requested.v1 in the caller's
transaction, so they commit together; triage, routing and notify erase theirs when the event reaches them.
intake reads its own event back (`when_erasure_requested`): found erased already in the running service, and
into a database rebuilt from the topics it erases the application again, so a rebuild brings nothing back.

The application's row, its timeline and its journey stay, anonymised: the queue, the indicators and the funnel
count them as before; the names, addresses, the company, the project's title and words are gone.
"""

from __future__ import annotations

from sqlmodel import col, select

from contracts.envelope import Envelope, now
from contracts.events import ErasureRequested
from contracts.topics import ERASURE_REQUESTED
from services.intake.journey.record import journey_ids
from services.intake.models import ApplicationRecord, BridgeOffer, JourneyRecord, TimelineEntry
from services.runtime import privacy
from services.runtime.reactions import Tx
from services.runtime.telemetry import current_trace_id

APPLICANT_REQUEST = "the applicant's request"


class ErasureRefused(ValueError):
    """An erasure that cannot be done; the message says why."""


async def stage_erasure(tx: Tx, application_id: str, requested_by: str,
                        reason: str = APPLICANT_REQUEST) -> Envelope[ErasureRequested]:
    """Erase the application's data here and stage the event that has every other service erase theirs.
    Raises ErasureRefused for an unknown application or one erased before."""
    if await tx.get(ApplicationRecord, application_id) is None:
        raise ErasureRefused(f"There is no application {application_id}.")
    if await privacy.erased(tx.session, application_id):
        raise ErasureRefused(f"The personal data of application {application_id} was erased already.")
    erasure = erasure_of(application_id, requested_by, reason)
    correlation_id, decision_id = await journey_ids(tx, application_id)
    envelope = tx.command(ERASURE_REQUESTED, erasure, subject=application_id, correlation_id=correlation_id,
                          causation_id=decision_id)
    await erase(tx, erasure)
    tx.add(TimelineEntry(event_id=envelope.id, application_id=application_id, time=envelope.time,
                         event=envelope.type, summary=erasure_summary(erasure), trace_id=current_trace_id(),
                         payload=erasure.model_dump_json()))
    tx.emit(ERASURE_REQUESTED, envelope)
    return envelope


def erasure_of(application_id: str, requested_by: str, reason: str) -> ErasureRequested:
    """What the event says: the application, who asked and why (a rule or 'the applicant's request', never the
    person's own words)."""
    return ErasureRequested(application_id=application_id, requested_at=now(), requested_by=requested_by,
                            reason=reason)


def erasure_summary(erasure: ErasureRequested) -> str:
    return f"Personal data erased ({erasure.reason}), asked by {erasure.requested_by}"


async def when_erasure_requested(tx: Tx, envelope: Envelope[ErasureRequested]) -> None:
    """intake's own erasure, read back: into a rebuilt database, the application comes back anonymised."""
    await erase(tx, envelope.data)


async def erase(tx: Tx, erasure: ErasureRequested) -> None:
    """Anonymise every row intake keeps about the application, and keep its id in the registry."""
    application_id = erasure.application_id
    application = await tx.session.get(ApplicationRecord, application_id, with_for_update=True)
    timeline = list((await tx.exec(select(TimelineEntry)
                                   .where(col(TimelineEntry.application_id) == application_id))).all())
    journey = list((await tx.exec(select(JourneyRecord)
                                  .where(col(JourneyRecord.application_id) == application_id))).all())
    offers = list((await tx.exec(select(BridgeOffer).where(col(BridgeOffer.application_id) == application_id))).all())
    stored = [entry.payload for entry in timeline] + [record.payload for record in journey]
    if application is not None:
        stored += [application.submitted, application.scores, application.decision]
        known = privacy.identifying(*stored)
        application.submitted = privacy.anonymised_json(application.submitted) or application.submitted
        application.scores = privacy.anonymised_json(application.scores)
        application.decision = privacy.anonymised_json(application.decision)
        tx.add(application)
    else:
        known = privacy.identifying(*stored)
    for entry in timeline:
        entry.payload = privacy.anonymised_json(entry.payload)
        entry.summary = privacy.redacted(entry.summary, known) or entry.summary
        tx.add(entry)
    for record in journey:
        record.payload = privacy.anonymised_json(record.payload) or record.payload
        tx.add(record)
    for offer in offers:
        offer.envelope = privacy.anonymised_envelope(offer.envelope)
        tx.add(offer)
    await privacy.register(tx.session, erasure)
