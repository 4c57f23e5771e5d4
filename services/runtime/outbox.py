"""Outbox: an event is stored in the same transaction as the state change it announces, then relayed to Kafka.

The relay is woken as soon as a transaction with new events commits (no polling delay on the happy path) and
also sweeps every second, which publishes what a crash left behind. Rows are published in insertion order; a
row is marked published only after the broker acknowledged it, so a crash in between publishes it again with
the same event id, and readers' inboxes drop the copy. Instances sharing a PostgreSQL database take turns
through an advisory lock.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

from faststream.kafka import KafkaBroker
from opentelemetry import context as otel_context
from opentelemetry.propagate import extract, inject
from sqlalchemy import update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope, now
from contracts.topics import Topic
from services.runtime.broker import publish_json
from services.runtime.db import SessionFactory, transaction_lock, utc_timestamp

log = logging.getLogger(__name__)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True)
    topic: str
    key: str
    payload: str
    trace_headers: str = "{}"
    created_at: datetime = utc_timestamp()
    published_at: datetime | None = utc_timestamp(default=None, index=True)


def stage(session: AsyncSession, topic: Topic, envelope: Envelope) -> None:
    """Add the event to the caller's transaction, with the current trace context so the trace goes on."""
    carrier: dict[str, str] = {}
    inject(carrier)
    session.add(OutboxMessage(
        event_id=envelope.id, topic=topic.name, key=envelope.subject, payload=envelope.model_dump_json(),
        trace_headers=json.dumps(carrier), created_at=now(),
    ))


# Several instances of a service share its database; one relays at a time, so events leave in order.
_RELAY_LOCK_KEY = 0x6169_6775  # any constant; scoped to the service's own database


class OutboxRelay:
    def __init__(self, sessions: SessionFactory, broker: KafkaBroker, sweep_seconds: float = 1.0,
                 batch_size: int = 200) -> None:
        self._sessions = sessions
        self._broker = broker
        self._sweep_seconds = sweep_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Call after committing a transaction that staged events."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                while await self.publish_pending():
                    pass
            except Exception:  # noqa: BLE001 - the broker or database is away; the next sweep tries again
                log.exception("outbox relay: publishing failed, retrying in %.1f s", self._sweep_seconds)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._sweep_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    async def publish_pending(self) -> int:
        """Publish one batch of pending events in order; returns how many were published."""
        async with self._sessions() as session:
            if not await transaction_lock(session, _RELAY_LOCK_KEY, wait=False):
                return 0  # another instance of this service is relaying; it keeps the order
            statement = (select(OutboxMessage).where(col(OutboxMessage.published_at).is_(None))
                         .order_by(col(OutboxMessage.id)).limit(self._batch_size))
            pending = (await session.exec(statement)).all()
            for message in pending:
                await self._publish(message)
            if pending:
                await session.exec(update(OutboxMessage)  # type: ignore[call-overload]
                                   .where(col(OutboxMessage.id).in_([m.id for m in pending]))
                                   .values(published_at=now()))
            await session.commit()
            return len(pending)

    async def _publish(self, message: OutboxMessage) -> None:
        token = otel_context.attach(extract(json.loads(message.trace_headers)))
        try:
            await publish_json(self._broker, message.topic, message.key, message.payload)
        finally:
            otel_context.detach(token)
