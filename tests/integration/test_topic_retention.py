"""A reader of whole topics is told what their retention deleted, on a real broker: intake's rebuild uses it to
say how many records of each topic it could not replay, instead of rebuilding a partial history in silence."""

from __future__ import annotations

import uuid

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.records_to_delete import RecordsToDelete

from services.runtime.topic_reader import expired, read_topics
from tests.support.kafka import publish_raw


async def test_records_a_topics_retention_deleted_are_counted_not_missed_in_silence(kafka_bootstrap):
    # Given a topic of one partition whose first three of five records were deleted, as retention deletes them
    name, kept = f"retention-test-{uuid.uuid4().hex[:8]}", f"retention-kept-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1) for topic in (name, kept)])
        for number in range(5):
            await publish_raw(kafka_bootstrap, name, b"k", f"record {number}".encode(), partition=0)
        await publish_raw(kafka_bootstrap, kept, b"k", b"whole", partition=0)
        await admin.delete_records({TopicPartition(name, 0): RecordsToDelete(before_offset=3)})
    finally:
        await admin.close()

    # Then a reader from the beginning gets the last two, and is told three are gone; of the whole topic, none
    assert [r.value for r in await read_topics(kafka_bootstrap, [name])] == [b"record 3", b"record 4"]
    assert await expired(kafka_bootstrap, [name, kept]) == {name: 3, kept: 0}
