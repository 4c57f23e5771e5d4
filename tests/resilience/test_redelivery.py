"""Messages delivered again, and messages nobody can read: neither may change what an applicant sees."""

from __future__ import annotations

import asyncio
import json

from contracts.topics import ALL, APPLICATION_SCORED, APPLICATION_SUBMITTED, DECISION_MADE, EMAIL_SENT
from tests.support.kafka import publish_raw, read_topic, reset_group_to_earliest, wait_caught_up
from tests.support.load import submit_stream, tally

STREAM = 150
# Every consumer group, with the topic it reads.
GROUPS = {
    "triage": APPLICATION_SUBMITTED, "routing": APPLICATION_SCORED, "notify": DECISION_MADE,
    "intake.read-model.scored": APPLICATION_SCORED, "intake.read-model.decisions": DECISION_MADE,
    "intake.read-model.emails": EMAIL_SENT,
}


async def test_replaying_every_topic_from_the_start_changes_nothing(resilient_system):
    stack, bootstrap = resilient_system.stack, resilient_system.bootstrap
    # Given a stream of applications, all decided and emailed
    stream = await submit_stream(resilient_system, STREAM)
    before = await tally(resilient_system, stream, STREAM)
    before.assert_invariants()

    # When every service stops, every consumer group is reset to the start of its topic, and they restart
    for service in ("intake", "triage", "routing", "notify"):
        stack.stop(service)
    for group, topic in GROUPS.items():
        await reset_group_to_earliest(bootstrap, group, topic.name)
    stack.start_services()
    await asyncio.to_thread(stack.wait_healthy)
    for group, topic in GROUPS.items():
        await wait_caught_up(bootstrap, group, topic.name, timeout=120)

    # Then every application still has exactly one decision and one email, and no event was published twice
    after = await tally(resilient_system, stream, STREAM)
    print(after.line("replay all topics"))
    after.assert_invariants()
    assert after.duplicate_records == 0


async def test_poison_messages_reach_the_dead_letter_topics_and_the_good_ones_flow_on(resilient_system):
    bootstrap = resilient_system.bootstrap
    poisons = {}
    for topic in (APPLICATION_SUBMITTED, APPLICATION_SCORED, DECISION_MADE):
        for kind, value in (("json", b"{\"id\": \"half a croissant"),
                            ("version", json.dumps({"id": "v9", "subject": "x", "schema_version": 9}).encode()),
                            ("invalid", json.dumps({"id": "bad", "subject": "x", "schema_version": 1,
                                                    "data": {"application_id": 42}}).encode())):
            for number in range(3):
                poisons[f"poison-{topic.name}-{kind}-{number}".encode()] = (topic, value)
    poison_items = list(poisons.items())

    async def interleave_poison() -> None:
        for key, (topic, value) in poison_items:
            await publish_raw(bootstrap, topic.name, key, value)
            await asyncio.sleep(0.05)

    # Given 27 unreadable messages on three topics, interleaved with a stream of good applications
    stream = await submit_stream(resilient_system, STREAM, fault_at=10, fault=interleave_poison)
    # Then every good application is decided and emailed once
    result = await tally(resilient_system, stream, STREAM)
    dead_keys = set()
    for _ in range(100):  # each reader of a topic dead-letters it on its own
        dead_keys = {r.key for topic in ALL for r in await read_topic(bootstrap, topic.dlq) if r.key in poisons}
        if dead_keys == set(poisons):
            break
        await asyncio.sleep(0.2)
    print(result.line(f"poison: {len(poisons)} sent, {len(dead_keys)} dead-lettered"))
    result.assert_invariants()
    # And every poison message waits on a dead-letter topic
    assert dead_keys == set(poisons)
