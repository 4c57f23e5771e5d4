"""Inbox: the ids of the events a service has processed, so a redelivered event changes nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope, now
from services.runtime.db import insert_ignoring_duplicates, utc_timestamp


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "inbox"

    event_id: str = Field(primary_key=True)
    event_type: str
    processed_at: datetime = utc_timestamp()


async def first_delivery(session: AsyncSession, envelope: Envelope) -> bool:
    """Record the event in the session's transaction; False when it was processed before."""
    statement = insert_ignoring_duplicates(session, ProcessedEvent).values(
        event_id=envelope.id, event_type=envelope.type, processed_at=now()
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return result.rowcount == 1
