"""Erasure, notify's side: the notices sent keep their kind and time (one email per notice, however often an
event comes again) and lose the address and the subject; the emails' bodies were only ever in the outbox rows of
their `email-sent` events, which the registry drops."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from contracts.envelope import Envelope
from contracts.events import ErasureRequested
from services.notify.models import Notice
from services.runtime import privacy
from services.runtime.reactions import Tx


async def when_erasure_requested(tx: Tx, envelope: Envelope[ErasureRequested]) -> None:
    await tx.exec(update(Notice).where(col(Notice.application_id) == envelope.data.application_id)
                  .values(to=privacy.ERASED_EMAIL, subject=privacy.ERASED))
    await privacy.register(tx.session, envelope.data)
