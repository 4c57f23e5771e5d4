"""Taking in an application, whichever way it came (the API, the web form, a partner's referral): the record
with its status-link secret, the first timeline entry and the submitted event, in the caller's transaction."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ApplicationSubmitted
from contracts.topics import APPLICATION_SUBMITTED, Topic
from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.telemetry import current_trace_id

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
