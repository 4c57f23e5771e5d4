"""Taking in an application, whichever way it came (the API, the web form, a partner's referral): the record
with its status-link secret, the first timeline entry and the submitted event, in the caller's transaction.
An applicant's submission (the two doors) is also counted against the caps per recipient (recipients.py) and kept
under its idempotency key, if it has one (idempotency.py), in that same transaction."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from contracts.envelope import Envelope, now
from contracts.events import ApplicationSubmitted
from contracts.topics import APPLICATION_SUBMITTED
from services.intake.applicant.status_link import token_hash
from services.intake.applications import counters, idempotency, recipients
from services.intake.applications.idempotency import Key
from services.intake.applications.recipients import RecipientCaps
from services.intake.applications.requests import SubmitApplication
from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.reactions import Tx
from services.runtime.service import Runtime
from services.runtime.telemetry import current_trace_id


def take_in(tx: Tx, envelope: Envelope[ApplicationSubmitted], summary: str, token: str | None = None) -> str:
    """Stage the new application and its event; returns the secret of its status link (only its hash is kept)."""
    token = keep(tx, envelope, summary, token)
    tx.emit(APPLICATION_SUBMITTED, envelope)
    return token


def keep(tx: Tx, envelope: Envelope[ApplicationSubmitted], summary: str, token: str | None = None) -> str:
    """The application's record and its first timeline entry, without announcing it (a rebuild finds the event
    on its topic already); returns the secret of its status link (`token`, or a new one)."""
    submitted, token = envelope.data, token or secrets.token_urlsafe(24)
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


@dataclass(frozen=True)
class Door:
    """The rules both doors apply to a submission: the caps per recipient, how long an idempotency key is kept."""

    caps: RecipientCaps
    key_hours: float

    def key(self, client: str, key: str, application: SubmitApplication) -> Key:
        return Key(client, key, application, self.key_hours)

    async def forget_expired(self, runtime: Runtime) -> None:
        """Drop the keys past their time and the counts no cap reads any more (run every minute)."""
        async with runtime.transaction() as tx:
            await idempotency.forget_expired(tx.session, self.key_hours)
            await counters.forget_expired(tx.session)


async def submit(runtime: Runtime, door: Door, application: SubmitApplication, channel: str,
                 key: Key | None = None) -> Submitted:
    """Take in an application an applicant sent (the JSON API, 'api', or the web form, 'web') in one transaction,
    so both doors keep the same rules and leave the same traces. Under a key used before: the application it made
    (`KeyReused` if it was another). Past a cap per recipient: `RecipientCapped`, and nothing is stored."""
    if key is not None and (done := await _answered(runtime, key)) is not None:
        return done
    application_id = str(uuid.uuid4())
    tracer = runtime.tracing.get_tracer("aiguillage.intake")
    with tracer.start_as_current_span("submit application",
                                      attributes={"application_id": application_id, "channel": channel}):
        try:
            async with runtime.transaction() as tx:
                await recipients.count(tx, door.caps, application.contact.email)
                token = await idempotency.keep(tx, key, application_id) if key is not None else None
                envelope = tx.first_event(APPLICATION_SUBMITTED, submitted(application, channel, application_id),
                                          subject=application_id)
                token = take_in(tx, envelope, "Application received", token)
        except IntegrityError:
            # The same key came twice at once, and the other request's transaction committed first.
            if key is None or (done := await _answered(runtime, key)) is None:
                raise
            return done
    return Submitted(application_id, token)


async def _answered(runtime: Runtime, key: Key) -> Submitted | None:
    async with runtime.sessions() as session:
        found = await idempotency.answered(session, key)
    return Submitted(*found) if found is not None else None
