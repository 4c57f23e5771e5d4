"""A service's consumer: the records of one poll, per partition, handled in one transaction.

For each partition of a poll:
1. every record is decoded on its own (services/runtime/broker.py `decode`); one that cannot be read is kept
   aside for its dead-letter topic, and the others go on;
2. the readable records' events are recorded in the inbox in one statement; the reactions run for those never
   processed before (one application's in offset order, the applications in the order of their ids, so that
   consumers sharing a database take row locks in one order), in **one transaction** with their state changes and outbox rows (and the
   outbox relay's marks of what it published since the last batch);
3. after the commit, the unreadable records go to the dead-letter topic; once every partition of the poll is
   done, their offsets are committed together: a crash before that replays the batch, and the inbox drops what
   was done.

If the batch transaction fails for any reason, it is rolled back and the records are taken again one at a time,
each in its own transaction, exactly as a consumer of one record at a time would, by the rules of
services/runtime/dead_letter.py: an unreadable record is dead-lettered at once; a failed one is retried with
backoff up to `max_attempts`, then dead-lettered; one that must wait (an outage of the database or the mail
relay, or a message to try again later, e.g. a greylisted recipient) holds its partition: the consumer sleeps,
seeks back to it, and polls again, until it passes or its wait reaches its bound (`OUTAGE_MAX_WAIT_SECONDS`,
`RETRY_LATER_MAX_SECONDS`, counted from its first failure), and then it is dead-lettered. While a record waits,
its partition is taken one record at a time from it: the records behind it are not redone with each try (their
emails would go again). A batch changes how often the database is asked, not what happens to a record.

Each record gets one span, a child of the trace it carries (`traceparent`), and what the reaction stages in the
outbox carries that span on: one application's spans in the four services share one trace id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind
from prometheus_client import CollectorRegistry, Counter, Histogram

from contracts.envelope import Envelope
from services.runtime import dead_letter, failpoints
from services.runtime.broker import decode
from services.runtime.inbox import first_deliveries, forget
from services.runtime.reactions import On, Tx

log = logging.getLogger(__name__)


@dataclass
class Metrics:
    records: Counter
    batches: Histogram

    @classmethod
    def of(cls, registry: CollectorRegistry) -> Metrics:
        return cls(
            Counter("aiguillage_records", "Records consumed, by consumer group, topic and outcome "
                    "(processed, duplicate, skipped, dead_lettered, retried, outage, later)",
                    ["group", "topic", "outcome"], registry=registry),
            Histogram("aiguillage_batch_seconds", "Time to handle one partition's batch, by consumer group",
                      ["group"], registry=registry,
                      buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)),
        )


class _Assignments(ConsumerRebalanceListener):
    """Notes that partitions were given to this member."""

    def __init__(self) -> None:
        self.new = False

    async def on_partitions_revoked(self, revoked) -> None:
        pass

    async def on_partitions_assigned(self, assigned) -> None:
        self.new = bool(assigned)


@dataclass
class Item:
    """A record of a batch and what decoding it gave: its envelope, or why it cannot be read."""

    record: ConsumerRecord
    envelope: Envelope | None = None
    unreadable: BaseException | None = None


_WAITING_FOR = {dead_letter.Fault.OUTAGE: "for an outage to end", dead_letter.Fault.LATER: "to try again later"}


@dataclass
class Waiting:
    """The record a partition waits for (by its offset), since when (monotonic seconds), and its tries so far."""

    offset: int
    since: float
    tries: int = 0


class Consumer:
    """Consumes the topics of one table entry (`On`) in its consumer group, for `runtime`'s service."""

    def __init__(self, runtime, entry: On, metrics: Metrics) -> None:
        self.runtime, self.entry, self.metrics = runtime, entry, metrics
        settings = runtime.settings
        self.service = settings.service_name
        self.max_records = settings.batch_max_records
        self._tracer = runtime.tracing.get_tracer("aiguillage.consumer")
        self._waiting: dict[TopicPartition, Waiting] = {}
        self._consumer: AIOKafkaConsumer | None = None

    async def run(self) -> None:
        names = [topic.name for topic in self.entry.topics]
        self._consumer = consumer = AIOKafkaConsumer(
            **self.runtime.broker.options, group_id=self.entry.group, enable_auto_commit=False,
            auto_offset_reset="earliest", max_poll_records=self.max_records)
        assigned = _Assignments()
        consumer.subscribe(names, listener=assigned)
        await consumer.start()
        log.info("%s reads %s as %s", self.service, ", ".join(names), self.entry.group)
        try:
            while True:
                polled = await consumer.getmany(timeout_ms=1000, max_records=self.max_records)
                if not polled and assigned.new:
                    # Idle: every partition given to this member gets a committed offset, also one that never
                    # held a record (operators and tests read a group's lag from its committed offsets).
                    assigned.new = False
                    await self._commit_positions()
                done: dict[TopicPartition, int] = {}
                for partition, records in polled.items():
                    try:
                        if (offset := await self._partition(partition, records)) is not None:
                            done[partition] = offset
                    except Exception as error:  # noqa: BLE001 - e.g. a dead letter not published: all comes again
                        log.error("%s: %s[%d] from offset %d comes again (%s: %s)", self.entry.group,
                                  partition.topic, partition.partition, records[0].offset, type(error).__name__,
                                  dead_letter.describe(error))
                        consumer.seek(partition, records[0].offset)
                        await asyncio.sleep(1.0)
                if done:
                    failpoints.reach("consumer.before-offset-commit")
                    await self._commit(done)
        finally:
            await consumer.stop()

    # -- one partition's batch -----------------------------------------------------------------------------

    async def _partition(self, partition: TopicPartition, records: list[ConsumerRecord]) -> int | None:
        """Handle one partition's records; the offset to commit for it (once the poll's partitions are done: one
        commit for them all), or None when none was done."""
        started = time.perf_counter()
        items = [self._decode(record) for record in records]
        waiting = self._waiting.get(partition)
        if waiting is not None and waiting.offset == records[0].offset:
            done = await self._one_at_a_time(items)  # the record that waits is tried alone
        else:
            done = await self._batch(partition, items)
        if done < len(items):
            self._consumer.seek(partition, items[done].record.offset)
        else:
            self._waiting.pop(partition, None)
        self.metrics.batches.labels(self.entry.group).observe(time.perf_counter() - started)
        return items[done - 1].record.offset + 1 if done else None

    async def _batch(self, partition: TopicPartition, items: list[Item]) -> int:
        """Handle `items` in one transaction, else one at a time; how many were done."""
        try:
            await self._in_one_transaction([item for item in items if item.envelope is not None])
            for item in items:
                if item.unreadable is not None:
                    await self._dead_letter(item, item.unreadable, 1, dead_letter.Fault.PERMANENT)
            return len(items)
        except Exception as error:  # noqa: BLE001 - every record is taken again on its own
            log.warning("%s: a batch of %d records from %s[%d] failed (%s: %s); taking them one at a time",
                        self.entry.group, len(items), partition.topic, partition.partition, type(error).__name__,
                        dead_letter.describe(error))
            return await self._one_at_a_time(items)

    async def _one_at_a_time(self, items: list[Item]) -> int:
        """Handle `items` each in its own transaction, until one must wait; how many were done."""
        for done, item in enumerate(items):
            if not await self._one(item):
                return done  # it waits: the consumer seeks back to it
        return len(items)

    def _decode(self, record: ConsumerRecord) -> Item:
        try:
            envelope = decode(record, self.entry.signed_by, self.entry.topic_named(record.topic))
        except dead_letter.PERMANENT as error:
            return Item(record, unreadable=error)
        if self.runtime.settings.log_each_message:
            log.info("%s: received %s", dead_letter.origin(record), envelope.id)
        return Item(record, envelope)

    async def _in_one_transaction(self, items: list[Item]) -> None:
        relevant = [item for item in items if self.entry.relevant is None or self.entry.relevant(item.envelope)]
        self._count(items, "skipped", lambda item: item not in relevant)
        if not relevant:
            return
        relay = self.runtime.relay
        marks = relay.take_marks()
        try:
            async with self.runtime.sessions() as session:
                tx = Tx(self.service, session)
                fresh = await first_deliveries(session, [item.envelope for item in relevant])
                # One application's records in their order, the applications in the order of their ids: every
                # consumer of a database takes its rows' locks in one order, so two batches never deadlock.
                for item in sorted(relevant, key=lambda item: item.envelope.subject):
                    tx.cause = item
                    if item.envelope.id in fresh:
                        fresh.discard(item.envelope.id)  # a copy later in the same batch is a duplicate
                        with self._span(item):
                            await self.entry.react(tx, item.envelope)
                        self._count([item], "processed")
                    else:
                        self._count([item], "duplicate")
                rejected = await tx.run_before_commit()
                # A rejected event is not recorded as processed: replayed from its dead-letter topic, it is done.
                await forget(session, [item.envelope.id for item, _ in rejected])
                await relay.mark(session, marks)
                await session.commit()
        except BaseException:
            relay.give_back(marks)
            raise
        relay.settled(marks)
        if tx.staged:
            relay.wake()
        for item, error in rejected:  # its state was committed: what it did is kept, and it is not redone
            await self._dead_letter(item, error, 1, dead_letter.Fault.PERMANENT)

    # -- one record at a time, after a batch failed ----------------------------------------------------------

    async def _one(self, item: Item) -> bool:
        """Handle one record in its own transaction, with the retries and dead letters of the rules above.
        False when it waits (an outage, or a message to try later): the partition waits with it."""
        attempt = 0
        while True:
            attempt += 1
            try:
                if item.unreadable is not None:
                    raise item.unreadable
                await self._in_one_transaction([item])
                return True
            except Exception as error:  # noqa: BLE001 - what it means decides what comes next
                fault = dead_letter.classify(error)
                if fault in (dead_letter.Fault.OUTAGE, dead_letter.Fault.LATER):
                    return await self._wait(item, error, fault)
                if fault is dead_letter.Fault.PERMANENT or attempt >= self.runtime.settings.max_attempts:
                    await self._dead_letter(item, error, attempt, fault)
                    return True
                log.warning("%s: attempt %d failed (%s: %s), retrying", dead_letter.origin(item.record), attempt,
                            type(error).__name__, dead_letter.describe(error))
                self._count([item], "retried")
                await asyncio.sleep(dead_letter.backoff(attempt, self.runtime.settings.retry_backoff_seconds))

    async def _wait(self, item: Item, error: BaseException, fault: dead_letter.Fault) -> bool:
        """Sleep before `item` is tried again, its partition with it; or, once it has waited as long as `fault`
        allows since its first failure, dead-letter it (True: the partition goes on)."""
        record, settings = item.record, self.runtime.settings
        partition = TopicPartition(record.topic, record.partition)
        waiting = self._waiting.get(partition)
        if waiting is None or waiting.offset != record.offset:
            waiting = self._waiting[partition] = Waiting(record.offset, time.monotonic())
        waiting.tries += 1
        waited = time.monotonic() - waiting.since
        bound = (settings.outage_max_wait_seconds if fault is dead_letter.Fault.OUTAGE
                 else settings.retry_later_max_seconds)
        if waited >= bound:
            await self._dead_letter(item, error, waiting.tries, fault, waited)
            return True
        delay = min(dead_letter.backoff(waiting.tries, settings.retry_backoff_seconds), bound - waited)
        log.warning("%s: waiting %s (%s: %s), %.0f s of at most %.0f s; try %d in %.1f s",
                    dead_letter.origin(record), _WAITING_FOR[fault], type(error).__name__,
                    dead_letter.describe(error), waited, bound, waiting.tries + 1, delay)
        self._count([item], fault.value)
        await asyncio.sleep(delay)
        return False

    async def _dead_letter(self, item: Item, error: BaseException, attempts: int, fault: dead_letter.Fault,
                           waited: float = 0.0) -> None:
        await dead_letter.send(self.runtime.broker, item.record, error, attempts, self.service, fault=fault,
                               waited_seconds=waited)
        self._count([item], "dead_lettered")

    # -- bookkeeping -------------------------------------------------------------------------------------------

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError) as error:
            # A partition went to another member (a rebalance): it starts from the last committed offset, and
            # its inbox drops what this batch did already.
            log.warning("%s: offsets %s not committed (%s); the next owner takes them again", self.entry.group,
                        {f"{tp.topic}[{tp.partition}]": offset for tp, offset in offsets.items()}, error)

    async def _commit_positions(self) -> None:
        try:
            await self._consumer.commit()
        except (CommitFailedError, IllegalStateError, KafkaError) as error:
            log.warning("%s: positions not committed (%s)", self.entry.group, error)

    def _span(self, item: Item):
        record = item.record
        carrier = {k: v.decode("latin-1") for k, v in record.headers or () if k in ("traceparent", "tracestate")}
        return self._tracer.start_as_current_span(
            f"{record.topic} process", context=extract(carrier), kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": record.topic,
                        "messaging.consumer.group.name": self.entry.group,
                        "messaging.kafka.offset": record.offset, "messaging.message.id": item.envelope.id,
                        "application_id": item.envelope.subject})

    def _count(self, items: list[Item], outcome: str, which=None) -> None:
        for item in items:
            if which is None or which(item):
                self.metrics.records.labels(self.entry.group, item.record.topic, outcome).inc()
