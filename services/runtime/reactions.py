"""The one shape of a service's work: a reaction takes a transaction and the envelope that caused it.

    async def when_application_scored(tx: Tx, envelope: Envelope[ApplicationScored]) -> None:
        tx.add(record)                                  # state, in the service's database
        tx.announce(envelope, DECISION_MADE, decision)  # an event caused by this one, staged in the outbox

A `Tx` is one database transaction of one service: it knows the service (the envelopes it builds name it as
their source) and stages events in the outbox in that same transaction, so a state change and its events commit
together or not at all. Whatever the transaction's unit is (one record, a batch of records, an HTTP request), a
reaction is written once.

Each service has one table, `Reactions`: which topics it reads, in which consumer group, with which reaction.
The service's consumer runs it, and intake's rebuild replays the topics through the same table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.topics import Topic
from services.runtime import messages
from services.runtime.dead_letter import PERMANENT
from services.runtime.outbox import stage
from services.runtime.partners import PartnerKeys
from services.runtime.privacy import unless_erased


@dataclass
class Tx:
    """One transaction of `service`: its database session, and the events it stages for the outbox."""

    service: str
    session: AsyncSession
    staged: int = 0
    # Work outside the database that must be done before the transaction commits (e.g. sending an email),
    # with the cause it belongs to; the consumer runs a batch's together (`run_before_commit`).
    deferred: list[tuple[Any, Callable[[], Awaitable[None]]]] = field(default_factory=list)
    cause: Any = None  # set by the consumer: the record whose reaction runs now
    # Statements the deferred work left for after it (it runs concurrently; one session takes one at a time).
    statements: list[Any] = field(default_factory=list)

    # -- state ------------------------------------------------------------------------------------------------

    def add(self, row: Any) -> None:
        self.session.add(row)

    async def get(self, model: type, key: Any) -> Any:
        return await self.session.get(model, key)

    async def exec(self, statement: Any) -> Any:
        return await self.session.exec(statement)  # type: ignore[call-overload]

    def before_commit(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` after every reaction of the transaction has run and before it commits, concurrently with
        the other causes' work. If it raises an error that retrying cannot help (services/runtime/dead_letter.py
        PERMANENT), only its cause goes to the dead-letter topic and the others commit; any other error rolls
        the whole transaction back."""
        context = otel_context.get_current()  # the cause's span: what `work` stages continues its trace

        async def in_context() -> None:
            token = otel_context.attach(context)
            try:
                await work()
            finally:
                otel_context.detach(token)

        self.deferred.append((self.cause, in_context))

    def execute_later(self, statement: Any) -> None:
        """From deferred work: run `statement` in this transaction once all the deferred work is done."""
        self.statements.append(statement)

    async def run_before_commit(self) -> list[tuple[Any, BaseException]]:
        """Run the deferred work together, then the statements it left; the causes whose work failed for good,
        with why."""
        work, self.deferred = self.deferred, []
        results = await asyncio.gather(*(job() for _, job in work), return_exceptions=True)
        failed = [(cause, result) for (cause, _), result in zip(work, results) if isinstance(result, BaseException)]
        for _, error in failed:
            if not isinstance(error, PERMANENT):
                raise error
        statements, self.statements = self.statements, []
        for statement in statements:
            await self.session.exec(statement)  # type: ignore[call-overload]
        return failed

    # -- events -----------------------------------------------------------------------------------------------

    def emit(self, topic: Topic, envelope: Envelope) -> Envelope:
        """Stage `envelope` on `topic`; the relay publishes it once the transaction has committed."""
        stage(self.session, topic, envelope)
        self.staged += 1
        return envelope

    def announce(self, cause: Envelope, topic: Topic, data: BaseModel, *, discriminator: str = "") -> Envelope:
        """Stage the event `data` caused by `cause` (its id derived from the cause: a redelivery yields a copy
        that readers drop)."""
        return self.emit(topic, self.caused_by(cause, topic, data, discriminator=discriminator))

    def caused_by(self, cause: Envelope, topic: Topic, data: BaseModel, *, discriminator: str = "") -> Envelope:
        return messages.caused_by(cause, topic, data, service=self.service, discriminator=discriminator)

    def follow_up(self, cause_id: str, topic: Topic, data: BaseModel, *, subject: str, correlation_id: str,
                  discriminator: str = "") -> Envelope:
        return messages.follow_up(cause_id, topic, data, service=self.service, subject=subject,
                                  correlation_id=correlation_id, discriminator=discriminator)

    def first_event(self, topic: Topic, data: BaseModel, *, subject: str) -> Envelope:
        return messages.first_event(topic, data, service=self.service, subject=subject)

    def command(self, topic: Topic, data: BaseModel, *, subject: str, correlation_id: str,
                causation_id: str | None = None, command_id: str | None = None) -> Envelope:
        return messages.command(topic, data, service=self.service, subject=subject, correlation_id=correlation_id,
                                causation_id=causation_id, command_id=command_id)


Reaction = Callable[[Tx, Envelope], Awaitable[None]]


@dataclass(frozen=True)
class On:
    """Read `topics` in consumer group `group` and run `react` for each event (once, whatever the redeliveries).

    `signed_by`: for topics partner factories write, their keys; every message must be signed by the partner
    it claims to come from (checked before the reaction runs; else a dead letter). `relevant`: a cheap test on
    the envelope; an event it refuses is acknowledged without a transaction (nothing to do, nothing recorded)."""

    topics: tuple[Topic, ...]
    group: str
    react: Reaction
    signed_by: PartnerKeys | None = None
    relevant: Callable[[Envelope], bool] | None = None

    def topic_named(self, name: str) -> Topic | None:
        return next((topic for topic in self.topics if topic.name == name), None)

    def __post_init__(self) -> None:
        names = ", ".join(t.name for t in self.topics)
        claims = {t.signed_by for t in self.topics}
        if len(claims) != 1:
            raise ValueError(f"one consumer reads topics that are signed alike, not [{names}]")
        if claims.pop() and self.signed_by is None:
            raise ValueError(f"{names} is written by partner factories: reading it needs their keys")


def on(topics: Topic | Iterable[Topic], group: str, react: Reaction, *, erased_too: bool = False,
       **options: Any) -> On:
    """An entry of the table. An event about an application whose data was erased (privacy.py) does nothing,
    unless `erased_too`: for a reaction that writes back no personal data (one that frees an expert)."""
    return On(tuple([topics] if isinstance(topics, Topic) else topics), group,
              react if erased_too else unless_erased(react), **options)


@dataclass(frozen=True)
class Reactions:
    """A service's table from topic to reaction: its consumers, and what a rebuild replays."""

    service: str
    entries: tuple[On, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        groups = [entry.group for entry in self.entries]
        if len(groups) != len(set(groups)):
            raise ValueError(f"{self.service}: a consumer group appears twice in its reactions")
        topics = [topic.name for entry in self.entries for topic in entry.topics]
        if len(topics) != len(set(topics)):
            raise ValueError(f"{self.service}: a topic has two reactions")

    def __iter__(self) -> Iterator[On]:
        return iter(self.entries)

    def for_topic(self, name: str) -> On:
        for entry in self.entries:
            if any(topic.name == name for topic in entry.topics):
                return entry
        raise KeyError(f"{self.service} has no reaction to {name}")

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Consumer group -> the topics it reads (the committed offsets live under these names)."""
        return {entry.group: tuple(topic.name for topic in entry.topics) for entry in self.entries}
