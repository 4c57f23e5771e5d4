"""Delivery guarantees the skeleton already keeps: a redelivered decision sends no second email, and a
message nobody can read goes to the dead-letter topic without blocking the ones behind it."""

from __future__ import annotations

import asyncio
import json

from contracts.envelope import schema_uri
from contracts.topics import APPLICATION_SUBMITTED, DECISION_MADE
from infra import samples
from services.runtime import dead_letter
from tests.support.kafka import publish_raw, read_topic, wait_consumed

EMAIL_SENT = "lu.aif.notify.email-sent"


def emailed(status: dict) -> bool:
    return any(entry["event"] == EMAIL_SENT for entry in status["timeline"])


async def test_a_decision_delivered_twice_sends_one_email(system):
    # Given Odyssea NLP's application, decided and emailed
    response = await system.submit(samples.ODYSSEA_NLP.body)
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    await system.wait_until(status_url, emailed)

    # When its decision is delivered again, twice (a replay: same bytes, same key, same headers)
    (decision,) = [r for r in await read_topic(system.bootstrap, DECISION_MADE.name)
                   if r.key == application_id.encode()]
    for _ in range(2):
        replay = await publish_raw(system.bootstrap, DECISION_MADE.name, decision.key, decision.value,
                                   decision.headers)
    for group in ("notify", "intake.read-model.decisions"):
        await wait_consumed(system.bootstrap, group, DECISION_MADE.name, replay.partition, replay.offset)

    # Then the applicant still has exactly one email, and the timeline one decision and one email
    assert len(system.emails_to(application_id)) == 1
    timeline = (await system.status(status_url))["timeline"]
    events = [entry["event"].rsplit(".", 1)[-1] for entry in timeline]
    assert events.count("decision-made") == 1 and events.count("email-sent") == 1


async def test_unreadable_messages_go_to_the_dead_letter_topic_and_the_rest_flow_on(system):
    # Given three messages no reader can process, on every partition of the topic triage reads
    good = json.loads(json.dumps(samples.PETIT_FOUR.body))
    envelope_v2 = {"id": "poison-v2", "source": "/elsewhere", "type": APPLICATION_SUBMITTED.event_type,
                   "specversion": "1.0", "time": "2026-11-22T10:00:00Z", "subject": "poison-v2",
                   "correlationid": "poison-v2", "dataschema": schema_uri(APPLICATION_SUBMITTED.event_type, 2),
                   "data": {}}
    invalid_payload = {**envelope_v2, "id": "poison-invalid", "subject": "poison-invalid",
                       "dataschema": APPLICATION_SUBMITTED.dataschema,
                       "data": {"application_id": "poison-invalid", "company": "not an object"}}
    kinds = {
        b"poison-json": b"{this is not json",
        b"poison-v2": json.dumps(envelope_v2).encode(),
        b"poison-invalid": json.dumps(invalid_payload).encode(),
    }
    poisons = {}
    for partition in range(APPLICATION_SUBMITTED.partitions):  # so one lies before the good one, wherever it goes
        for kind, value in kinds.items():
            key = kind + f"-{partition}".encode()
            poisons[key] = kind
            await publish_raw(system.bootstrap, APPLICATION_SUBMITTED.name, key, value, partition=partition)

    # When a good application follows them
    response = await system.submit(good)
    status = await system.wait_until(response.json()["status_url"], emailed)

    # Then the good one is decided, and each poison message waits on the dead-letter topic with its error
    assert status["decision"]["outcome"] == "review"
    async def dead_letters() -> dict:
        return {r.key: dict(r.headers) for r in await read_topic(system.bootstrap, APPLICATION_SUBMITTED.dlq)
                if r.key in poisons}

    async with asyncio.timeout(15):  # the other partitions' poison may still be on its way
        while set(dead := await dead_letters()) != set(poisons):
            await asyncio.sleep(0.2)
    for key, headers in dead.items():
        assert headers[dead_letter.HEADER_SERVICE] == b"triage"
        assert headers[dead_letter.HEADER_ATTEMPTS] == b"1", key  # never retried: retrying cannot help
        assert headers[dead_letter.HEADER_ERROR]
        if poisons[key] == b"poison-v2":
            assert schema_uri(APPLICATION_SUBMITTED.event_type, 2).encode() in headers[dead_letter.HEADER_ERROR]
        if poisons[key] == b"poison-json":
            assert headers[dead_letter.HEADER_ERROR_TYPE] == b"JSONDecodeError"
