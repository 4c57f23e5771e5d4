"""Where the tests get a real Kafka broker: KAFKA_BOOTSTRAP_SERVERS, else a Docker engine through
testcontainers, else the project's own local runtime on free ports. Never a mock."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from infra.kafka.local_kafka import LocalKafka, ensure_libs
from infra.localnet import free_ports
from services.runtime.topic_reader import partitions_of

ROOT = Path(__file__).resolve().parents[2]


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - no engine, no socket, no permission: all mean "not here"
        return False


@contextmanager
def kafka_broker(work_dir: Path) -> Iterator[str]:
    """Yield a bootstrap address of a real broker for the whole test session."""
    if external := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield external
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as container:
            yield container.get_bootstrap_server()
        return
    kafka = LocalKafka(work_dir / "kafka", *free_ports(2), libs_dir=ensure_libs(ROOT / "var" / "kafka" / "libs"))
    kafka.start()
    try:
        yield kafka.bootstrap
    finally:
        kafka.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    return await partitions_of(consumer, [topic])


async def read_topic(bootstrap: str, topic: str, timeout: float = 10, **client_options) -> list:
    """Every record on `topic` from the beginning up to its current end, without joining a group.
    `client_options` are aiokafka's, e.g. SASL settings on a cluster with authentication."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options)
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        async with asyncio.timeout(timeout):
            while remaining:
                batch = await consumer.getmany(timeout_ms=500)
                for tp, messages in batch.items():
                    records.extend(messages)
                    if messages and messages[-1].offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        return records
    finally:
        await consumer.stop()


async def records_about(bootstrap: str, topic: str, key: str, **client_options) -> list:
    """The records of `topic` keyed by `key` (an application id, a referral id): one application's story there."""
    return [r for r in await read_topic(bootstrap, topic, **client_options) if r.key == key.encode()]


async def message_count(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic)
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def wait_consumed(bootstrap: str, group: str, topic: str, partition: int, offset: int,
                        timeout: float = 30) -> None:
    """Wait until consumer group `group` has committed past `offset`: it is done with that message."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async with asyncio.timeout(timeout):
            while True:
                committed = await admin.list_consumer_group_offsets(group)
                meta = committed.get(TopicPartition(topic, partition))
                if meta is not None and meta.offset > offset:
                    return
                await asyncio.sleep(0.1)
    finally:
        await admin.close()


def traceparent_trace_id(headers) -> str | None:
    for name, value in headers or ():
        if name == "traceparent":
            return value.decode().split("-")[1]
    return None


async def publish_raw(bootstrap: str, topic: str, key: bytes, value: bytes, headers=None,
                      partition: int | None = None):
    """Put bytes on a topic as any producer could (a replay, a buggy partner): returns the record's metadata."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        return await producer.send_and_wait(topic, value, key=key, headers=list(headers or ()), partition=partition)
    finally:
        await producer.stop()


async def reset_group_to_earliest(bootstrap: str, group: str, topic: str) -> None:
    """What an operator does to replay a topic: commit offset 0 for a stopped consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic)
        consumer.assign(partitions)
        await consumer.commit({tp: 0 for tp in partitions})
    finally:
        await consumer.stop()


async def start_group_at(bootstrap: str, group: str, topic: str, partition: int, offset: int) -> None:
    """Commit, for a new consumer group, `offset` on `partition` and the end of every other partition of `topic`:
    the group's first poll starts with what a test published from there."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic)
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: offset if tp.partition == partition else ends[tp] for tp in partitions})
    finally:
        await consumer.stop()


async def start_group_at_end(bootstrap: str, group: str, topic: str) -> None:
    """Commit, for a new consumer group, the end of every partition of `topic`: it sees only what comes next."""
    await start_group_at(bootstrap, group, topic, partition=-1, offset=0)


async def wait_caught_up(bootstrap: str, group: str, topic: str, timeout: float = 60) -> None:
    """Wait until `group` has committed the end of every partition of `topic`."""
    from aiokafka.admin import AIOKafkaAdminClient

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await consumer.start()
    await admin.start()
    try:
        partitions = await _partitions(consumer, topic)
        ends = await consumer.end_offsets(partitions)
        async with asyncio.timeout(timeout):
            while True:
                committed = await admin.list_consumer_group_offsets(group)
                if all(tp in committed and committed[tp].offset >= ends[tp] for tp in partitions):
                    return
                await asyncio.sleep(0.2)
    finally:
        await admin.close()
        await consumer.stop()


async def wait_for_members(bootstrap: str, group: str, count: int, timeout: float = 60) -> None:
    """Wait until consumer group `group` has `count` members in a stable state (after a rebalance)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async with asyncio.timeout(timeout):
            while True:
                (response,) = await admin.describe_consumer_groups([group])
                description = response.to_object()["groups"][0]
                if description["state"] == "Stable" and len(description["members"]) == count:
                    return
                await asyncio.sleep(0.2)
    finally:
        await admin.close()
