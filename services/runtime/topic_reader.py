"""Reading whole topics as they stand, for the operators' tools (dead letters, rebuilding a read model).

Reading never joins a consumer group and never waits for new messages: it assigns every partition and reads from
the beginning to the end offsets found when it started.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

READ_TIMEOUT_SECONDS = 30
CLIENT = {"request_timeout_ms": 10000, "retry_backoff_ms": 200}


class NoSuchTopic(LookupError):
    pass


async def partitions_of(consumer: AIOKafkaConsumer, names: list[str]) -> list[TopicPartition]:
    """Every partition of the topics `names`, in order, from a started consumer; NoSuchTopic names a missing one."""
    cluster = await consumer._client.fetch_all_metadata()  # the public topics() drops the partitions
    partitions = []
    for name in names:
        if not (ids := cluster.partitions_for_topic(name)):
            raise NoSuchTopic(f"topic {name} does not exist (create it: python -m infra.topics)")
        partitions += [TopicPartition(name, p) for p in sorted(ids)]
    return partitions


async def read_topics(bootstrap: str, names: list[str], timeout: float = READ_TIMEOUT_SECONDS,
                      **client_options: Any) -> list:
    """Every record on the topics `names`, ordered by topic (in the order given), timestamp, partition and offset.
    `client_options` are aiokafka's, e.g. SASL settings on a cluster with authentication."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                **{**CLIENT, **client_options})
    try:
        await consumer.start()
        partitions = await partitions_of(consumer, names)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records = []
        async with asyncio.timeout(timeout):
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                for tp, batch in (await consumer.getmany(timeout_ms=500)).items():
                    records += [r for r in batch if r.offset < ends[tp]]
        order = {name: i for i, name in enumerate(names)}
        return sorted(records, key=lambda r: (order[r.topic], r.timestamp, r.partition, r.offset))
    finally:
        await consumer.stop()


async def expired(bootstrap: str, names: list[str], **client_options: Any) -> dict[str, int]:
    """How many records each of the topics `names` no longer holds, its retention having deleted them (the first
    offsets of its partitions): a reader of the topic from its beginning misses them."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                **{**CLIENT, **client_options})
    try:
        await consumer.start()
        firsts = await consumer.beginning_offsets(await partitions_of(consumer, names))
        return {name: sum(offset for tp, offset in firsts.items() if tp.topic == name) for name in names}
    finally:
        await consumer.stop()
