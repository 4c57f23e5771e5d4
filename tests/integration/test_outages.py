"""A failing PostgreSQL, told apart from a bad message by the error's type and SQLSTATE, against a real broker and
database: while the database is read-only or the pool is exhausted, a message waits and is processed when the
database is back; a wait has a bound, and ends in the dead-letter topic with the reason; a statement that times
out behind a lock is no outage that holds the partition for ever; and an error's statement parameters (an
applicant's address) reach neither the headers nor the log."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from sqlalchemy import exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select

from contracts.topics import EMAIL_SENT
from services.runtime import dead_letter, migrations
from services.runtime.broker import Kafka
from services.runtime.db import async_url
from services.runtime.inbox import ProcessedEvent
from services.runtime.reactions import Reactions, on
from services.runtime.service import runtime_for
from services.runtime.settings import Settings
from tests.integration.test_runtime import event
from tests.support.kafka import read_topic, start_group_at
from tests.support.runtime import running

ADDRESS = "anne.weber@moselle-re.example"  # the address each event of these tests carries (test_runtime.event)
POOL = 5 + 10  # SQLAlchemy's pool: 5 connections, 10 more when they are all taken


def settings_for(bootstrap: str, tmp_path, url: str, **bounds: float) -> Settings:
    return Settings(service_name="outage-test", kafka_bootstrap_servers=bootstrap, var_dir=tmp_path,
                    database_url=url, max_attempts=3, retry_backoff_seconds=0.05, traces_exporter="none", **bounds)


async def new_database(database, tmp_path) -> str:
    """A PostgreSQL database with the runtime's tables (inbox, outbox)."""
    url = database(f"outage_{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(migrations.upgrade, "triage", url)  # a service whose tables are the runtime's
    return url


async def as_administrator(url: str, *statements: str) -> None:
    engine = create_async_engine(async_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.exec_driver_sql(statement.format(database=make_url(url).database))
    finally:
        await engine.dispose()


async def in_line(settings: Settings, group: str, subjects: list[str]) -> list:
    """Events about `subjects` on one partition, in this order, where the consumer group `group` starts."""
    events = [event(subject) for subject in subjects]
    kafka = Kafka(settings)
    await kafka.start()
    try:
        written = [await kafka.publish(e.model_dump_json().encode(), topic=EMAIL_SENT.name, key=group.encode())
                   for e in events]
    finally:
        await kafka.stop()
    await start_group_at(settings.kafka_bootstrap_servers, group, EMAIL_SENT.name, written[0].partition,
                         written[0].offset)
    return events


@contextlib.asynccontextmanager
async def consuming(settings: Settings, group: str, react=None, *, before_start=None):
    runtime = runtime_for(settings)

    async def nothing(_tx, _envelope) -> None:
        pass

    runtime.serve(Reactions(settings.service_name, (on(EMAIL_SENT, group, react or nothing),)))
    if before_start is not None:
        await before_start(runtime)
    async with running(runtime):
        yield runtime


async def processed(runtime, events) -> set[str]:
    """The ids of `events` the service has recorded as processed (its inbox)."""
    async with runtime.sessions() as session:
        return set((await session.exec(select(ProcessedEvent.event_id).where(
            col(ProcessedEvent.event_id).in_([e.id for e in events])))).all())


async def dead_letters(bootstrap: str, subjects: list[str], topic: str = EMAIL_SENT.dlq) -> list:
    """The dead letters on `topic` of events about `subjects`."""
    return [r for r in await read_topic(bootstrap, topic) if any(s.encode() in r.value for s in subjects)]


async def eventually(condition, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.2)


async def test_a_read_only_database_holds_the_message_back_and_it_is_processed_when_writable_again(
        kafka_bootstrap, database, tmp_path):
    # Given a service whose PostgreSQL database is read-only (a standby after a failover, a maintenance)
    url = await new_database(database, tmp_path)
    await as_administrator(url, 'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
    settings = settings_for(kafka_bootstrap, tmp_path, url)
    run = uuid.uuid4().hex[:8]
    subjects = [f"READ-ONLY-RAVEN-{run}", f"CALM-CAMEL-{run}"]
    events = await in_line(settings, f"read-only-{run}", subjects)

    # When the service consumes the two events for a while
    async with consuming(settings, f"read-only-{run}") as runtime:
        await asyncio.sleep(4)  # many times the retries a failing message gets

        # Then neither is processed, nor a dead letter
        assert await processed(runtime, events) == set()
        assert await dead_letters(kafka_bootstrap, subjects) == []

        # And when the database is writable again, both are processed, in order, and none is a dead letter
        await as_administrator(url, "SET default_transaction_read_only = off",
                               'ALTER DATABASE "{database}" SET default_transaction_read_only = off')
        await eventually(lambda: has_processed(runtime, events))
    assert await dead_letters(kafka_bootstrap, subjects) == []


async def has_processed(runtime, events) -> bool:
    return await processed(runtime, events) == {e.id for e in events}


async def test_an_outage_longer_than_its_bound_ends_in_the_dead_letter_topic_with_the_reason(
        kafka_bootstrap, database, tmp_path):
    # Given a service whose database stays read-only, and which waits at most 3 s for an outage per message
    url = await new_database(database, tmp_path)
    await as_administrator(url, 'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
    settings = settings_for(kafka_bootstrap, tmp_path, url, outage_max_wait_seconds=3)
    run = uuid.uuid4().hex[:8]
    subjects = [f"STRANDED-STORK-{run}"]
    await in_line(settings, f"stranded-{run}", subjects)

    # When the service consumes its event
    async with consuming(settings, f"stranded-{run}"):
        await eventually(lambda: dead_letters(kafka_bootstrap, subjects))

    # Then the event went to the dead-letter topic after its 3 s, saying it waited through an outage, and why
    (dead,) = await dead_letters(kafka_bootstrap, subjects)
    headers = dict(dead.headers)
    assert b"SQLSTATE 25006" in headers[dead_letter.HEADER_ERROR]
    assert headers[dead_letter.HEADER_FAULT] == b"outage"
    assert int(headers[dead_letter.HEADER_WAITED]) >= 3


async def test_an_exhausted_pool_holds_the_message_back_and_it_is_processed_when_a_connection_frees(
        kafka_bootstrap, database, tmp_path):
    # Given a service whose pool of connections is all taken (slow requests, say), waiting 0.5 s for one
    url = await new_database(database, tmp_path)
    settings = settings_for(kafka_bootstrap, tmp_path, url, database_pool_timeout_seconds=0.5)
    run = uuid.uuid4().hex[:8]
    subjects = [f"PATIENT-PUFFIN-{run}"]
    events = await in_line(settings, f"pool-{run}", subjects)
    held = []

    async def take_every_connection(runtime) -> None:
        while len(held) < POOL:
            held.append(await runtime.engine.connect())

    # When the service consumes the event for a while
    async with consuming(settings, f"pool-{run}", before_start=take_every_connection) as runtime:
        await asyncio.sleep(4)

        # Then it is no dead letter while the pool is full
        assert await dead_letters(kafka_bootstrap, subjects) == []

        # And when the connections are given back, it is processed, and still no dead letter
        for connection in held:
            await connection.close()
        await eventually(lambda: has_processed(runtime, events))
    assert await dead_letters(kafka_bootstrap, subjects) == []


@contextlib.asynccontextmanager
async def counters_with_one_locked(url: str, subjects: list[str], locked: str):
    """A counter per subject; statements time out after 300 ms; the row of `locked` is held by another transaction
    for as long as the block runs, unless it lets it go (`await release()`) sooner."""
    await as_administrator(url, "CREATE TABLE counter (id text PRIMARY KEY, n integer NOT NULL DEFAULT 0)",
                           'ALTER DATABASE "{database}" SET statement_timeout = 300')
    values = ", ".join(f"('{subject}')" for subject in subjects)
    await as_administrator(url, f"INSERT INTO counter (id) VALUES {values}")
    holder = create_async_engine(async_url(url))
    try:
        async with holder.connect() as stuck:
            await stuck.execute(text("SELECT * FROM counter WHERE id = :id FOR UPDATE").bindparams(id=locked))
            yield stuck.rollback
            await stuck.rollback()
    finally:
        await holder.dispose()


async def count(tx, envelope) -> None:
    await tx.exec(text("UPDATE counter SET n = n + 1 WHERE id = :id").bindparams(id=envelope.subject))


async def test_a_statement_that_times_out_behind_a_lock_is_processed_once_the_lock_is_gone(
        kafka_bootstrap, database, tmp_path):
    # Given a row locked by a transaction for a while, in a database where statements time out after 300 ms
    url = await new_database(database, tmp_path)
    settings = settings_for(kafka_bootstrap, tmp_path, url)
    run = uuid.uuid4().hex[:8]
    subjects = [f"LOCKED-LEMUR-{run}"]
    events = await in_line(settings, f"timeout-{run}", subjects)
    async with counters_with_one_locked(url, subjects, subjects[0]) as release:

        # When the service consumes the event about that row for a while
        async with consuming(settings, f"timeout-{run}", count) as runtime:
            await asyncio.sleep(4)  # many times the retries a failing message gets

            # Then it is no dead letter while the row is locked
            assert await dead_letters(kafka_bootstrap, subjects) == []

            # And once the lock is gone, it is processed
            await release()
            await eventually(lambda: has_processed(runtime, events))
    assert await dead_letters(kafka_bootstrap, subjects) == []


async def test_a_statement_that_times_out_behind_a_lock_for_ever_is_a_bounded_wait_and_blocks_no_one(
        kafka_bootstrap, database, tmp_path):
    # Given a row locked by a transaction that does not end, in a database where statements time out after 300 ms,
    # and a service that tries a message again later for at most 3 s
    url = await new_database(database, tmp_path)
    settings = settings_for(kafka_bootstrap, tmp_path, url, retry_later_max_seconds=3)
    run = uuid.uuid4().hex[:8]
    locked, calm = f"LOCKED-LEMUR-{run}", f"CALM-CAMEL-{run}"
    events = await in_line(settings, f"timeout-{run}", [locked, calm])
    async with counters_with_one_locked(url, [locked, calm], locked):

        # When the service consumes both events, the locked one first
        async with consuming(settings, f"timeout-{run}", count) as runtime:
            await eventually(lambda: has_processed_one(runtime, events[1]))

    # Then the locked one went to the dead-letter topic after its 3 s, saying why, and the one behind it was
    # processed
    (dead,) = await dead_letters(kafka_bootstrap, [locked, calm])
    headers = dict(dead.headers)
    assert locked.encode() in dead.value
    assert b"SQLSTATE 57014" in headers[dead_letter.HEADER_ERROR]
    assert headers[dead_letter.HEADER_FAULT] == b"later"
    assert int(headers[dead_letter.HEADER_WAITED]) >= 3


async def has_processed_one(runtime, envelope) -> bool:
    return await processed(runtime, [envelope]) == {envelope.id}


async def test_a_failing_statement_puts_no_personal_data_in_the_dead_letter_headers_or_the_log(
        kafka_bootstrap, database, tmp_path, caplog):
    # Given a reaction whose statement fails (its table is missing) with the applicant's address as a parameter
    url = await new_database(database, tmp_path)
    settings = settings_for(kafka_bootstrap, tmp_path, url)
    run = uuid.uuid4().hex[:8]
    subjects = [f"LEAKY-LOON-{run}"]
    await in_line(settings, f"leak-{run}", subjects)

    async def subscribe(tx, envelope) -> None:
        await tx.exec(text("INSERT INTO mailing_list (address) VALUES (:address)").bindparams(
            address=envelope.data.to))

    # When the service consumes the event, and gives up on it
    async with consuming(settings, f"leak-{run}", subscribe):
        await eventually(lambda: dead_letters(kafka_bootstrap, subjects))

    # Then the dead letter says what failed, by its class and SQLSTATE, and neither it nor the log has the address
    (dead,) = await dead_letters(kafka_bootstrap, subjects)
    headers = dict(dead.headers)
    assert not [value for value in headers.values() if ADDRESS.encode() in value]
    assert caplog.records and ADDRESS not in caplog.text
    assert b"SQLSTATE 42P01" in headers[dead_letter.HEADER_ERROR]
    assert headers[dead_letter.HEADER_FAULT] == b"failed"
