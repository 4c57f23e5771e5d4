"""Taking in an application, whichever way it came (the API, the web form, a partner's referral): the record
with its status-link secret, the first timeline entry and the submitted event, in the caller's transaction."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from contracts.envelope import Envelope, now
from contracts.events import ApplicationSubmitted
from contracts.topics import APPLICATION_SUBMITTED
from services.intake.applicant.status_link import token_hash
from services.intake.applications.requests import SubmitApplication
from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.reactions import Tx
from services.runtime.service import Runtime
from services.runtime.telemetry import current_trace_id


def take_in(tx: Tx, envelope: Envelope[ApplicationSubmitted], summary: str) -> str:
    """Stage the new application and its event; returns the secret of its status link (only its hash is kept)."""
    token = keep(tx, envelope, summary)
    tx.emit(APPLICATION_SUBMITTED, envelope)
    return token


def keep(tx: Tx, envelope: Envelope[ApplicationSubmitted], summary: str) -> str:
    """The application's record and its first timeline entry, without announcing it (a rebuild finds the event
    on its topic already); returns the secret of its status link."""
    submitted, token = envelope.data, secrets.token_urlsafe(24)
    tx.add(ApplicationRecord(
        id=submitted.application_id, token_hash=token_hash(token), channel=submitted.channel,
        submitted=submitted.model_dump_json(), created_at=submitted.submitted_at, updated_at=submitted.submitted_at,
    ))
    tx.add(TimelineEntry(event_id=envelope.id, application_id=submitted.application_id, time=envelope.time,
                         event=envelope.type, summary=summary, trace_id=current_trace_id()))
    return token


@dataclass(frozen=True)
class Submitted:
    application_id: str
    token: str  # the secret of the status link: given to the applicant once, never stored


def submitted(application: SubmitApplication, channel: str, application_id: str) -> ApplicationSubmitted:
    """What the event announcing an application taken in now says; the event is the first of its journey."""
    return ApplicationSubmitted(application_id=application_id, submitted_at=now(), channel=channel,
                                **application.model_dump())


async def submit(runtime: Runtime, application: SubmitApplication, channel: str) -> Submitted:
    """Take in an application an applicant sent (the JSON API, 'api', or the web form, 'web') in one transaction,
    so both doors keep the same rules and leave the same traces."""
    application_id = str(uuid.uuid4())
    tracer = runtime.tracing.get_tracer("aiguillage.intake")
    with tracer.start_as_current_span("submit application",
                                      attributes={"application_id": application_id, "channel": channel}):
        async with runtime.transaction() as tx:
            envelope = tx.first_event(APPLICATION_SUBMITTED, submitted(application, channel, application_id),
                                      subject=application_id)
            token = take_in(tx, envelope, "Application received")
    return Submitted(application_id, token)
