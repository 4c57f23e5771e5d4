"""The shared runtime against a real broker and database: retry then dead letter, and the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import col, func, select

from contracts.events import EmailSent
from contracts.topics import EMAIL_SENT
from services.runtime import dead_letter, db, migrations
from services.runtime.broker import Kafka
from services.runtime.inbox import ProcessedEvent
from services.runtime.reactions import Reactions, on
from services.runtime.service import http_app, runtime_for
from services.runtime.messages import first_event
from services.runtime.outbox import OutboxMessage, OutboxRelay, stage
from services.runtime.settings import Settings
from tests.support.kafka import read_topic, start_group_at
from tests.support.runtime import running


def email_sent(application_id: str) -> EmailSent:
    return EmailSent(application_id=application_id, notice_kind="decision", to="anne.weber@moselle-re.example",
                     language="fr", subject="Votre projet", message_id=f"<{application_id}@test>",
                     sent_at="2026-11-22T09:00:00Z")


def event(application_id: str):
    return first_event(EMAIL_SENT, email_sent(application_id), service="test", subject=application_id)


def broker_for(bootstrap: str, tmp_path, name: str) -> Kafka:
    return Kafka(settings_for(bootstrap, tmp_path, name))


def settings_for(bootstrap: str, tmp_path, name: str) -> Settings:
    return Settings(service_name=name, kafka_bootstrap_servers=bootstrap, var_dir=tmp_path,
                    max_attempts=3, retry_backoff_seconds=0.05, traces_exporter="none")


@contextlib.asynccontextmanager
async def consuming(bootstrap: str, tmp_path, name: str, group: str, react):
    """A service named `name` (its database: SQLite, the runtime's tables) consuming EMAIL_SENT with `react`."""
    settings = settings_for(bootstrap, tmp_path, name)
    await asyncio.to_thread(migrations.upgrade, "triage", settings.db_url())  # a service whose tables are the runtime's
    runtime = runtime_for(settings)
    runtime.serve(Reactions(name, (on(EMAIL_SENT, group, react),)))
    async with running(runtime):
        yield runtime


async def publish_all(bootstrap: str, tmp_path, subjects: list[str]) -> None:
    """One partition (one key), in this order, before the consumer starts: they come in one poll, one batch."""
    kafka = broker_for(bootstrap, tmp_path, "publisher")
    await kafka.start()
    try:
        for subject in subjects:
            await kafka.publish(event(subject).model_dump_json().encode(), topic=EMAIL_SENT.name,
                                key=b"same-partition")
    finally:
        await kafka.stop()


async def test_a_flaky_reaction_is_retried_and_a_hopeless_one_dead_lettered_without_blocking(
        kafka_bootstrap, tmp_path):
    # Given a reaction that fails twice on 'FLAKY-FERRET', always on 'HOPELESS-HERON', never on 'CALM-CAMEL'
    run = uuid.uuid4().hex[:8]
    # (named so that their order is that of their ids too: a batch takes applications in the order of their ids)
    hopeless, flaky, calm = f"1-HOPELESS-HERON-{run}", f"2-FLAKY-FERRET-{run}", f"3-CALM-CAMEL-{run}"
    attempts: dict[str, int] = {}
    processed: list[str] = []
    done = asyncio.Event()

    async def react(_tx, envelope) -> None:
        subject = envelope.subject
        if run not in subject:
            return  # messages of other tests on the shared topic
        attempts[subject] = attempts.get(subject, 0) + 1
        if subject == hopeless or (subject == flaky and attempts[subject] < 3):
            raise LookupError(f"the application is unknown ({attempts[subject]})")
        processed.append(subject)
        if calm in processed:
            done.set()

    # When the three messages wait on one partition, hopeless first, and the consumer starts
    await publish_all(kafka_bootstrap, tmp_path, [hopeless, flaky, calm])
    async with consuming(kafka_bootstrap, tmp_path, "retry-test", f"retry-test-{run}", react):
        await asyncio.wait_for(done.wait(), timeout=30)

    # Then their batch failed on the hopeless one, and each was taken again on its own: the flaky one succeeded
    # on its third attempt, the calm one was not blocked, the hopeless one had its three attempts
    assert processed == [flaky, calm]
    assert attempts == {hopeless: 1 + 3, flaky: 3, calm: 1}
    # And the hopeless one waits on the dead-letter topic with the error, the service and the attempts
    dead = [r for r in await read_topic(kafka_bootstrap, EMAIL_SENT.dlq)
            if hopeless.encode() in r.value and (dead_letter.HEADER_SERVICE, b"retry-test") in r.headers]
    assert len(dead) == 1
    headers = dict(dead[0].headers)
    assert headers[dead_letter.HEADER_ATTEMPTS] == b"3"
    assert headers[dead_letter.HEADER_SERVICE] == b"retry-test"
    assert headers[dead_letter.HEADER_ERROR] == b"the application is unknown (4)"
    assert headers[dead_letter.HEADER_ORIGIN].startswith(EMAIL_SENT.name.encode())


async def test_a_batch_commits_its_records_together_and_a_copy_in_it_changes_nothing(kafka_bootstrap, tmp_path):
    # Given five events on one partition, the third delivered twice (a producer's retry), where the consumer
    # group starts
    run = uuid.uuid4().hex[:8]
    subjects = [f"BATCHED-BEE-{run}-{n}" for n in range(5)]
    events = [event(subject) for subject in subjects]
    kafka = broker_for(kafka_bootstrap, tmp_path, "publisher")
    await kafka.start()
    written = [await kafka.publish(envelope.model_dump_json().encode(), topic=EMAIL_SENT.name,
                                   key=f"batch-{run}".encode())
               for envelope in (*events[:3], events[2], *events[3:])]
    await kafka.stop()
    await start_group_at(kafka_bootstrap, f"batch-test-{run}", EMAIL_SENT.name, written[0].partition,
                         written[0].offset)
    seen: list[str] = []
    done = asyncio.Event()

    async def react(tx, envelope) -> None:
        if run in envelope.subject and envelope.causationid is None:  # not an echo
            seen.append(envelope.subject)
            tx.announce(envelope, EMAIL_SENT, envelope.data, discriminator="echo")
            if len(seen) == len(subjects):
                done.set()

    # When the consumer takes them
    async with consuming(kafka_bootstrap, tmp_path, "batch-test", f"batch-test-{run}", react) as runtime:
        await asyncio.wait_for(done.wait(), timeout=30)
        async with asyncio.timeout(15):  # the reactions ran; the commit follows them
            while True:
                async with runtime.sessions() as session:
                    recorded = (await session.exec(select(ProcessedEvent.processed_at).where(
                        col(ProcessedEvent.event_id).in_([e.id for e in events])))).all()
                if len(recorded) == len(events):
                    break
                await asyncio.sleep(0.1)
        # (the relay publishes what the commit staged: the service keeps running until it has)
        async with asyncio.timeout(20):
            while len(echoes := [r for r in await read_topic(kafka_bootstrap, EMAIL_SENT.name)
                                 if r.key.decode() in subjects and json.loads(r.value)["causationid"]]) < 5:
                await asyncio.sleep(0.2)

    # Then each event was handled once, in order, all five in one transaction (one moment in the inbox), and
    # their echoes are on the topic once each
    assert seen == subjects
    assert len(recorded) == 5 and len(set(recorded)) == 1
    assert sorted(r.key.decode() for r in echoes) == subjects


async def test_an_outage_longer_than_the_retries_holds_the_message_back_and_never_dead_letters_it(
        kafka_bootstrap, tmp_path):
    # Given a reaction whose database is away for the first 6 deliveries of 'PATIENT-PUFFIN' (twice the
    # retries a failing message gets), then back; and 'CALM-CAMEL' behind it on the same partition
    run = uuid.uuid4().hex[:8]
    patient, calm = f"1-PATIENT-PUFFIN-{run}", f"2-CALM-CAMEL-{run}"
    attempts: dict[str, int] = {}
    processed: list[str] = []
    done = asyncio.Event()

    async def react(_tx, envelope) -> None:
        subject = envelope.subject
        if run not in subject:
            return
        attempts[subject] = attempts.get(subject, 0) + 1
        if subject == patient and attempts[subject] <= 6:
            raise ConnectionRefusedError(f"the database is away ({attempts[subject]})")
        processed.append(subject)
        if calm in processed:
            done.set()

    # When both arrive
    await publish_all(kafka_bootstrap, tmp_path, [patient, calm])
    async with consuming(kafka_bootstrap, tmp_path, "outage-test", f"outage-test-{run}", react):
        await asyncio.wait_for(done.wait(), timeout=60)

    # Then the patient one was delivered again until the database came back, in order, and is not a dead letter
    assert processed == [patient, calm]
    assert attempts[calm] == 1 and attempts[patient] == 7
    assert not [r for r in await read_topic(kafka_bootstrap, EMAIL_SENT.dlq) if patient.encode() in r.value]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_the_outbox_relay_publishes_what_a_crash_left_behind(kafka_bootstrap, database, tmp_path, dialect):
    # Given an event committed to the outbox by a process that died before relaying it
    url = (f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}" if dialect == "sqlite"
           else database(f"outbox_{uuid.uuid4().hex[:8]}"))
    await asyncio.to_thread(migrations.upgrade, "triage", url)  # a service whose tables are the runtime's
    engine = db.make_engine(url)
    sessions = db.sessions(engine)
    stranded = event(f"STRANDED-STORK-{uuid.uuid4().hex[:8]}")
    async with sessions() as session:
        stage(session, EMAIL_SENT, stranded)
        await session.commit()

    # When a new relay starts
    broker = broker_for(kafka_bootstrap, tmp_path, "outbox-test")
    await broker.start()
    relay = OutboxRelay(sessions, broker, sweep_seconds=0.2)
    task = asyncio.create_task(relay.run())
    async def marked_published() -> bool:
        async with sessions() as session:
            row = await session.get(OutboxMessage, 1)
            return row is not None and row.published_at is not None

    try:
        # (the relay marks the row after the broker's acknowledgement: waiting for the record alone would stop
        # the relay between the two)
        async with asyncio.timeout(15):
            while not await marked_published():
                await asyncio.sleep(0.2)
    finally:
        task.cancel()
        await broker.stop()

    # Then the event is on its topic, once, with its own id, and the outbox knows it was published
    (record,) = [r for r in await read_topic(kafka_bootstrap, EMAIL_SENT.name) if r.key == stranded.subject.encode()]
    assert json.loads(record.value)["id"] == stranded.id
    await engine.dispose()


async def test_on_sqlite_the_relay_publishes_each_commit_at_once_in_order_and_nothing_rolled_back(
        kafka_bootstrap, tmp_path):
    # Given an event a crashed process left in the outbox, and a relay that takes commits from memory (SQLite)
    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox-memory.db'}"
    await asyncio.to_thread(migrations.upgrade, "triage", url)
    engine = db.make_engine(url)
    sessions = db.sessions(engine)
    key = f"ORDERLY-OTTER-{uuid.uuid4().hex[:8]}"
    stranded = event(key)
    async with sessions() as session:
        stage(session, EMAIL_SENT, stranded)
        await session.commit()
    broker = broker_for(kafka_bootstrap, tmp_path, "outbox-memory-test")
    await broker.start()
    relay = OutboxRelay(sessions, broker, sweep_seconds=0.5, from_memory=True)
    task = asyncio.create_task(relay.run())

    # When 30 transactions commit one event each about one application, and one more is rolled back
    committed, rolled_back = [event(key) for _ in range(30)], event(key)
    try:
        for number, envelope in enumerate(committed):
            async with sessions() as session:
                stage(session, EMAIL_SENT, envelope)
                await session.commit()
            relay.wake()
            if number == 10:
                async with sessions() as session:
                    stage(session, EMAIL_SENT, rolled_back)
                    await session.rollback()
        async with asyncio.timeout(15):
            while True:
                async with sessions() as session:
                    unpublished = (await session.exec(select(func.count()).select_from(OutboxMessage)
                                                      .where(col(OutboxMessage.published_at).is_(None)))).one()
                if not unpublished:
                    break
                await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await broker.stop()
        await engine.dispose()

    # Then the topic holds the stranded event, then the 30 in the order they committed, each once; not the rolled
    # back one
    records = [r for r in await read_topic(kafka_bootstrap, EMAIL_SENT.name) if r.key == key.encode()]
    assert [json.loads(r.value)["id"] for r in records] == [stranded.id] + [e.id for e in committed]


async def test_work_run_every_few_seconds_survives_a_failing_database_and_healthz_says_so(kafka_bootstrap, tmp_path):
    # Given a service that sweeps a table every 50 ms (as routing sweeps its overdue referral offers)
    settings = settings_for(kafka_bootstrap, tmp_path, "sweep-test")
    await asyncio.to_thread(migrations.upgrade, "triage", settings.db_url())
    runtime = runtime_for(settings)
    rounds: list[int] = []

    async def sweep() -> None:
        async with runtime.transaction() as tx:
            rounds.append((await tx.exec(text("SELECT count(*) FROM deadlines"))).scalar_one())

    async with runtime.sessions() as session:
        await session.exec(text("CREATE TABLE deadlines (id INTEGER)"))
        await session.commit()
    runtime.every(0.05, sweep, "deadline-sweep")
    app = http_app(runtime, title="sweep test", description="")
    await runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sweep") as client:
            async def health() -> tuple[int, str]:
                response = await client.get("/healthz")
                return response.status_code, response.json()["deadline-sweep"]

            await wait_for(lambda: len(rounds) >= 2)
            assert await health() == (200, "ok")

            # When its database loses the table (a failed migration, a restore gone wrong)
            async with runtime.sessions() as session:
                await session.exec(text("DROP TABLE deadlines"))
                await session.commit()
            await asyncio.sleep(0.3)

            # Then the sweep keeps going, and /healthz answers 503 naming it and why
            code, state = await health()
            assert code == 503 and state.startswith("failing since") and "no such table: deadlines" in state

            # And when the table is back, the next round succeeds and the service is healthy again
            before = len(rounds)
            async with runtime.sessions() as session:
                await session.exec(text("CREATE TABLE deadlines (id INTEGER)"))
                await session.commit()
            await wait_for(lambda: len(rounds) > before)
            assert await health() == (200, "ok")
    finally:
        await runtime.stop()
        await runtime.engine.dispose()


async def wait_for(condition, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)
