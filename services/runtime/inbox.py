"""Inbox: the ids of the events a service has processed, so a redelivered event changes nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope, now
from services.runtime.db import insert_ignoring_duplicates, utc_timestamp


# Where a session keeps the events of the batch it recorded: what else is asked about them is asked once for the
# batch (privacy.py's registry of erased applications), not once per event.
BATCH = "inbox.batch"


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


async def first_deliveries(session: AsyncSession, envelopes: list[Envelope]) -> set[str]:
    """Record a batch's events in one statement; the ids of those never processed before. On PostgreSQL an
    instance given the same events by a rebalance waits here until the other's transaction ends, then finds
    them recorded."""
    if not envelopes:
        return set()
    session.sync_session.info[BATCH] = envelopes
    at = now()
    rows = list({e.id: {"event_id": e.id, "event_type": e.type, "processed_at": at} for e in envelopes}.values())
    statement = insert_ignoring_duplicates(session, ProcessedEvent).returning(ProcessedEvent.event_id)
    return set((await session.exec(statement, params=rows)).scalars())  # type: ignore[call-overload]


async def forget(session: AsyncSession, event_ids: list[str]) -> None:
    """Take events out of the inbox in the session's transaction: delivered again, they are processed."""
    if event_ids:
        await session.exec(delete(ProcessedEvent).where(col(ProcessedEvent.event_id).in_(event_ids)))  # type: ignore[call-overload]
