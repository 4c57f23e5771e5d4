"""Taking in an application, whichever way it came (the API, the web form, a partner's referral): the record
with its status-link secret, the first timeline entry and the submitted event, in the caller's transaction."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope, now
from contracts.events import ApplicationSubmitted
from contracts.topics import APPLICATION_SUBMITTED, Topic
from services.intake.models import ApplicationRecord, TimelineEntry
from services.intake.requests import SubmitApplication
from services.runtime.messages import first_event
from services.runtime.service import Runtime
from services.runtime.telemetry import current_trace_id

SERVICE = "intake"
Emit = Callable[[AsyncSession, Topic, Envelope], None]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def take_in(session: AsyncSession, emit: Emit, envelope: Envelope[ApplicationSubmitted], summary: str) -> str:
    """Stage the new application and its event; returns the secret of its status link (only its hash is kept)."""
    submitted, token = envelope.data, secrets.token_urlsafe(24)
    session.add(ApplicationRecord(
        id=submitted.application_id, token_hash=token_hash(token), channel=submitted.channel,
        submitted=submitted.model_dump_json(), created_at=submitted.submitted_at, updated_at=submitted.submitted_at,
    ))
    session.add(TimelineEntry(event_id=envelope.id, application_id=submitted.application_id, time=envelope.time,
                              event=envelope.type, summary=summary, trace_id=current_trace_id()))
    emit(session, APPLICATION_SUBMITTED, envelope)
    return token


@dataclass(frozen=True)
class Submitted:
    application_id: str
    token: str  # the secret of the status link: given to the applicant once, never stored


def submitted_event(application: SubmitApplication, channel: str,
                    application_id: str) -> Envelope[ApplicationSubmitted]:
    """The event announcing an application taken in now, the first of its journey."""
    submitted = ApplicationSubmitted(application_id=application_id, submitted_at=now(), channel=channel,
                                     **application.model_dump())
    return first_event(APPLICATION_SUBMITTED, submitted, service=SERVICE, subject=application_id)


async def submit(runtime: Runtime, application: SubmitApplication, channel: str) -> Submitted:
    """Take in an application an applicant sent (the JSON API, 'api', or the web form, 'web') in one transaction,
    so both doors keep the same rules and leave the same traces."""
    application_id = str(uuid.uuid4())
    tracer = runtime.tracing.get_tracer("aiguillage.intake")
    with tracer.start_as_current_span("submit application",
                                      attributes={"application_id": application_id, "channel": channel}):
        envelope = submitted_event(application, channel, application_id)
        async with runtime.sessions() as session:
            token = take_in(session, runtime.emit, envelope, "Application received")
            await session.commit()
    runtime.relay.wake()
    return Submitted(application_id, token)
