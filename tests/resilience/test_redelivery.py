"""Messages delivered again, and messages nobody can read: neither may change what an applicant sees."""

from __future__ import annotations

import asyncio
import json

from contracts.envelope import schema_uri
from contracts.topics import DLQ_SUFFIX, by_name
from services.runtime.dead_letter import HEADER_SERVICE
from tests.support.kafka import publish_raw, read_topic, reset_group_to_earliest, wait_caught_up
from tests.support.load import submit_stream, tally

STREAM = 150


def served_groups() -> dict[str, dict[str, tuple[str, ...]]]:
    """Each service's consumer groups and the topics each reads, as the services serve them (a unit test holds
    the services' tables to these)."""
    from tests.unit.test_consumer_groups import INTAKE_GROUPS, NOTIFY_GROUPS, ROUTING_GROUPS, TRIAGE_GROUPS

    return {"intake": INTAKE_GROUPS, "triage": TRIAGE_GROUPS, "routing": ROUTING_GROUPS, "notify": NOTIFY_GROUPS}


def every_group() -> list[tuple[str, str]]:
    """(group, topic) for every topic every service reads."""
    return [(group, topic) for groups in served_groups().values() for group, topics in groups.items()
            for topic in topics]


async def test_replaying_every_topic_from_the_start_changes_nothing(resilient_system):
    stack, bootstrap = resilient_system.stack, resilient_system.bootstrap
    # Given a stream of applications, all decided and emailed
    stream = await submit_stream(resilient_system, STREAM)
    before = await tally(resilient_system, stream, STREAM)
    before.assert_invariants()

    # When every service stops, every consumer group is reset to the start of its topic, and they restart
    for service in ("intake", "triage", "routing", "notify"):
        stack.stop(service)
    for group, topic in every_group():
        await reset_group_to_earliest(bootstrap, group, topic)
    stack.start_services()
    await asyncio.to_thread(stack.wait_healthy)
    for group, topic in every_group():
        await wait_caught_up(bootstrap, group, topic, timeout=120)

    # Then every application still has exactly one decision and one email, and no event was published twice
    after = await tally(resilient_system, stream, STREAM)
    print(after.line("replay all topics"))
    after.assert_invariants()
    assert after.published_twice == []


def readers() -> dict[str, set[str]]:
    """Every topic a service reads, with the services that read it."""
    found: dict[str, set[str]] = {}
    for service, groups in served_groups().items():
        for topics in groups.values():
            for topic in topics:
                found.setdefault(topic, set()).add(service)
    return found


def poisons_for(topic: str) -> tuple[tuple[str, bytes], ...]:
    """Three messages no reader of `topic` can take: not JSON, another schema version, an invalid payload."""
    event_type = by_name(topic).event_type
    return (("json", b"{\"id\": \"half a croissant"),
            ("version", json.dumps({"id": "v9", "subject": "x", "dataschema": schema_uri(event_type, 9)}).encode()),
            ("invalid", json.dumps({"id": "bad", "subject": "x", "dataschema": schema_uri(event_type, 1),
                                    "data": {"application_id": 42}}).encode()))


async def test_poison_messages_reach_the_dead_letter_topics_from_every_reader_and_the_good_ones_flow_on(
        resilient_system):
    bootstrap = resilient_system.bootstrap
    reading = readers()
    poisons = {f"poison-{topic}-{kind}".encode(): (topic, value) for topic in reading
               for kind, value in poisons_for(topic)}

    async def interleave_poison() -> None:
        for key, (topic, value) in poisons.items():
            await publish_raw(bootstrap, topic, key, value)
            await asyncio.sleep(0.02)

    # Given three unreadable messages on every topic a service reads, interleaved with a stream of good applications
    stream = await submit_stream(resilient_system, STREAM, fault_at=10, fault=interleave_poison)
    # Then every good application is decided and emailed once
    result = await tally(resilient_system, stream, STREAM)
    expected = {(key, service) for key, (topic, _) in poisons.items() for service in reading[topic]}
    dead: set[tuple[bytes, str]] = set()
    for _ in range(150):  # each reader of a topic dead-letters it on its own
        dead = {(r.key, dict(r.headers)[HEADER_SERVICE].decode()) for topic in reading
                for r in await read_topic(bootstrap, topic + DLQ_SUFFIX) if r.key in poisons}
        if dead >= expected:
            break
        await asyncio.sleep(0.2)
    print(result.line(f"poison: {len(poisons)} sent on {len(reading)} topics, {len(dead)} of {len(expected)} "
                      "dead letters from their readers"))
    result.assert_invariants()
    # And every reader of every topic put each poison message on that topic's dead-letter topic
    assert sorted(expected - dead) == []
