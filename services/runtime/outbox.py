"""Outbox: an event is stored in the same transaction as the state change it announces, then relayed to Kafka.

The relay is woken as soon as a transaction with new events commits (no polling delay on the happy path) and
also sweeps every second, which publishes what a crash left behind. Rows are published in insertion order; a
row is marked published only after the broker acknowledged it, so a crash in between publishes it again with
the same event id, and readers' inboxes drop the copy. Instances sharing a PostgreSQL database take turns
through an advisory lock.

On SQLite, where one process owns the database file, the relay also takes the rows a transaction staged from
memory as soon as it commits, instead of reading them back: rows get their ids in commit order there, so
publishing them in that order is the order of the table. Their marks are written together, at most
`mark_seconds` later; a crash before the mark publishes them again on the next sweep, as before. The sweep still
reads the table every `sweep_seconds` for what a crash left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from opentelemetry.propagate import inject
from sqlalchemy import event, insert, update
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import signing
from contracts.envelope import Envelope, now
from contracts.topics import Topic, by_name
from services.runtime.broker import CONTENT_TYPE, Kafka
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


# Where a session keeps the rows it staged until its transaction ends.
_STAGED = "outbox.staged"


@dataclass
class Staged:
    """An outbox row staged in a transaction: written with the others in one statement when it commits (an ORM
    object per row cost more than the rest of a reaction, bench/, profiled); `id` is known from then on."""

    event_id: str
    topic: str
    key: str
    payload: str
    trace_headers: str
    id: int | None = None


def stage(session: AsyncSession | Session, topic: Topic, envelope: Envelope) -> None:
    """Add the event to the caller's transaction, with the current trace context so the trace goes on."""
    carrier: dict[str, str] = {}
    inject(carrier)
    info = session.sync_session.info if isinstance(session, AsyncSession) else session.info
    info.setdefault(_STAGED, []).append(Staged(envelope.id, topic.name, envelope.subject, envelope.model_dump_json(),
                                               json.dumps(carrier) if carrier else "{}"))


@event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    """The transaction's staged rows, in one statement, in the order they were staged; their ids come back."""
    staged = session.info.get(_STAGED)
    if not staged:
        return
    at = now()
    statement = insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True)
    rows = [{"event_id": row.event_id, "topic": row.topic, "key": row.key, "payload": row.payload,
             "trace_headers": row.trace_headers, "created_at": at} for row in staged]
    for row, row_id in zip(staged, session.execute(statement, rows).scalars()):
        row.id = row_id


@event.listens_for(Session, "after_rollback")
def _drop_staged(session: Session) -> None:
    session.info.pop(_STAGED, None)


# Several instances of a service share its database; one relays at a time, so events leave in order.
_RELAY_LOCK_KEY = 0x6169_6775  # any constant; scoped to the service's own database


class OutboxRelay:
    def __init__(self, sessions: SessionFactory, broker: Kafka, sweep_seconds: float = 1.0,
                 batch_size: int = 200, *, from_memory: bool = False, mark_seconds: float = 0.05,
                 signer: Callable[[bytes], str] | None = None) -> None:
        self._sessions = sessions
        self._broker = broker
        self._sweep_seconds = sweep_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._mark_seconds = mark_seconds
        self._fresh: list[Staged] = []  # committed, not published yet, in commit order
        self._published: list[int] = []  # published, not marked yet
        self._taken: set[int] = set()  # published, their marks in a consumer's transaction not committed yet
        self._published_since = 0.0
        self._published_up_to = 0  # the highest id published by either path
        self._swept_at = float("-inf")
        # A round failed, or the relay just started: a sweep publishes what the table holds, in its order, before
        # rows are taken from memory again.
        self._behind = True
        self._from_memory = from_memory
        self._signer = signer  # the signature of a value with this factory's own key
        # Woken as soon as a transaction that staged events commits (this factory's own sessions, db.sessions).
        if (session_class := sessions.kw.get("sync_session_class")) is not None:
            event.listen(session_class, "after_commit", self._committed)

    def _committed(self, session) -> None:
        staged = session.info.pop(_STAGED, [])
        if self._from_memory:
            self._fresh += [row for row in staged if row.id is not None]
        if staged:
            self._wake.set()

    def wake(self) -> None:
        """Call after committing a transaction that staged events."""
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                await self._round()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._next_wait())
                except TimeoutError:
                    pass
                self._wake.clear()
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):  # what is not marked now is published again at the next start
                await self._mark_published()
            raise

    async def _round(self) -> None:
        try:
            if self._fresh and not self._behind:
                await self._publish_fresh()
            if self._published and (len(self._published) >= self._batch_size or
                                    time.monotonic() - self._published_since >= self._mark_seconds):
                await self._mark_published()
            if not self._from_memory or time.monotonic() - self._swept_at >= self._sweep_seconds:
                await self._sweep()
        except Exception:  # noqa: BLE001 - the broker or database is away; the next sweep tries again
            # Until a sweep has published, in the table's order, what this round left, nothing is taken from
            # memory: a later row must not overtake it.
            self._behind, self._swept_at = True, time.monotonic()
            log.exception("outbox relay: publishing failed, retrying in %.1f s", self._sweep_seconds)

    async def _sweep(self) -> None:
        await self._mark_published()  # what the sweep reads must not be published twice
        if self._behind:
            self._fresh.clear()  # the table has them all; what commits from now on is kept
        # Taking commits from memory, one batch is a sweep: the rows committed meanwhile come that way.
        while await self.publish_pending() >= (self._batch_size if self._from_memory else 1):
            pass
        self._swept_at, self._behind = time.monotonic(), False

    def _next_wait(self) -> float:
        if not self._from_memory:
            return self._sweep_seconds
        if self._fresh and not self._behind:
            return 0.0
        waits = [self._swept_at + self._sweep_seconds - time.monotonic()]
        if self._published:
            waits.append(self._published_since + self._mark_seconds - time.monotonic())
        return max(0.0, min(waits))

    async def _publish_fresh(self) -> None:
        """Publish the rows committed since the last round, in commit order; a row the sweep published already
        is left out."""
        batch = self._fresh[:self._batch_size]
        del self._fresh[:len(batch)]  # rows committed while this batch is published stay for the next round
        batch = [message for message in batch if message.id > self._published_up_to]
        await self._publish_all(batch)
        if batch:
            if not self._published:
                self._published_since = time.monotonic()
            self._published += [message.id for message in batch]
            self._published_up_to = max(self._published_up_to, batch[-1].id)

    async def _mark_published(self) -> None:
        if not self._published:
            return
        async with self._sessions() as session:
            await self.mark(session, self._published)
            await session.commit()
        self._published = []

    def take_marks(self) -> list[int]:
        """The ids published and not marked yet, for a consumer's batch transaction to mark (one transaction
        instead of two): `settled` once it committed, `give_back` if it did not."""
        marks, self._published = self._published, []
        self._taken.update(marks)
        return marks

    def settled(self, marks: list[int]) -> None:
        self._taken.difference_update(marks)

    def give_back(self, marks: list[int]) -> None:
        self._taken.difference_update(marks)
        if marks:
            if not self._published:
                self._published_since = time.monotonic()
            self._published = marks + self._published

    @staticmethod
    async def mark(session: AsyncSession, ids: list[int]) -> None:
        """Mark rows `ids` published, in the caller's transaction."""
        if ids:
            await session.exec(update(OutboxMessage)  # type: ignore[call-overload]
                               .where(col(OutboxMessage.id).in_(ids)).values(published_at=now()))

    async def publish_pending(self) -> int:
        """Publish one batch of pending events in order; returns how many were published."""
        async with self._sessions() as session:
            if not await transaction_lock(session, _RELAY_LOCK_KEY, wait=False):
                return 0  # another instance of this service is relaying; it keeps the order
            statement = (select(OutboxMessage).where(col(OutboxMessage.published_at).is_(None))
                         .order_by(col(OutboxMessage.id)).limit(self._batch_size))
            if self._taken:
                # Published from memory, their marks in a consumer's transaction that has not committed yet
                # (take_marks): read again, they would be published twice.
                statement = statement.where(col(OutboxMessage.id).not_in(sorted(self._taken)))
            pending = (await session.exec(statement)).all()
            await self._publish_all(pending)
            if pending:
                self._published_up_to = max(self._published_up_to, max(m.id for m in pending))
                await session.exec(update(OutboxMessage)  # type: ignore[call-overload]
                                   .where(col(OutboxMessage.id).in_([m.id for m in pending]))
                                   .values(published_at=now()))
            await session.commit()
            return len(pending)

    async def _publish_all(self, messages: list) -> None:
        """Publish in order, awaiting the acknowledgements together: one round trip per batch instead of one per
        event. An application's next event is sent only once the broker has the one before: if one fails, none
        after it can be on the topic before the sweep publishes both again."""
        sent: dict[tuple[str, str], asyncio.Future] = {}
        acknowledgements: list[asyncio.Future] = []
        try:
            for message in messages:
                if (previous := sent.get((message.topic, message.key))) is not None:
                    await previous
                sent[(message.topic, message.key)] = acknowledgement = await self._publish(message)
                acknowledgements.append(acknowledgement)
        finally:
            results = await asyncio.gather(*acknowledgements, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _publish(self, message) -> asyncio.Future:
        """Publish without waiting for the acknowledgement; the trace context staged with the row travels on in
        the record's headers (`traceparent`), so the reader's span continues the trace."""
        headers = [CONTENT_TYPE, *((name, value.encode()) for name, value in json.loads(message.trace_headers).items())]
        if by_name(message.topic).signs:  # for another factory: signed with this factory's own key
            if self._signer is not None:
                headers.append((signing.KAFKA_HEADER, self._signer(message.payload.encode()).encode()))
            else:  # it goes unsigned, and the partner dead-letters it naming why
                log.error("%s is read by another factory and this instance has no signing key "
                          "(FACTORY_SIGNING_KEY_FILE): the message goes unsigned", message.topic)
        return await self._broker.publish(message.payload.encode(), topic=message.topic, key=message.key.encode(),
                                          headers=headers, confirm=False)
