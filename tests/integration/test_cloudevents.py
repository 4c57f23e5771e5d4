"""CloudEvents as partners' tools make and read them, against the runtime's consumer on a real broker: events
built with the official CloudEvents SDK's Kafka binding, in binary and in structured mode, are taken; an event
stored with the envelope's first attribute names is still taken; and what the runtime writes parses with the SDK."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent

from contracts.topics import EMAIL_SENT
from services.runtime.broker import Kafka
from tests.integration.test_runtime import consuming, email_sent, settings_for
from tests.support.kafka import read_topic, start_group_at

# An email-sent event exactly as the envelope's first form wrote it (`correlation_id`, `causation_id`,
# `schema_version`): events like it are still on the topics.
STORED_V1 = Path(__file__).parent / "data" / "email-sent.v1-names.json"


def sdk_event(subject: str, key: str) -> CloudEvent:
    """An email-sent event as a partner's program builds it with the CloudEvents SDK."""
    return CloudEvent(attributes={
        "source": "/partners/jaif", "type": EMAIL_SENT.event_type, "subject": subject,
        "datacontenttype": "application/json", "dataschema": EMAIL_SENT.dataschema,
        "correlationid": f"journey-of-{subject}", "partitionkey": key,
    }, data=email_sent(subject).model_dump(mode="json"))


async def test_sdk_events_in_both_modes_and_a_stored_v1_event_are_taken_and_what_follows_parses_with_the_sdk(
        kafka_bootstrap, tmp_path):
    # Given, on one partition where a new consumer group starts: an event the SDK wrote in binary mode, one it
    # wrote in structured mode, and one stored by the envelope's first form
    run = uuid.uuid4().hex[:8]
    key = f"cloudevents-{run}"
    binary, structured = f"BINARY-BADGER-{run}", f"STRUCTURED-STOAT-{run}"
    stored = json.loads(STORED_V1.read_bytes())
    messages = [ce_kafka.to_binary_event(sdk_event(binary, key)),
                ce_kafka.to_structured_event(sdk_event(structured, key)),
                ce_kafka.KafkaMessage(headers={"content-type": b"application/cloudevents+json"}, key=key,
                                      value=STORED_V1.read_bytes())]
    kafka = Kafka(settings_for(kafka_bootstrap, tmp_path, "partner"))
    await kafka.start()
    written = [await kafka.publish(message.value, topic=EMAIL_SENT.name, key=key.encode(),
                                   headers=message.headers) for message in messages]
    await kafka.stop()
    await start_group_at(kafka_bootstrap, f"cloudevents-{run}", EMAIL_SENT.name, written[0].partition,
                         written[0].offset)
    taken: dict[str, tuple] = {}
    done = asyncio.Event()

    async def react(tx, envelope) -> None:
        if envelope.source != "/aiguillage/cloudevents-test":  # not an echo
            taken[envelope.subject] = (envelope.id, envelope.correlationid, envelope.dataschema,
                                       envelope.data.application_id)
            tx.announce(envelope, EMAIL_SENT, envelope.data, discriminator="echo")
            if len(taken) == len(messages):
                done.set()

    # When a service consumes the topic, and writes an event caused by each
    async with consuming(kafka_bootstrap, tmp_path, "cloudevents-test", f"cloudevents-{run}", react):
        await asyncio.wait_for(done.wait(), timeout=30)
        async with asyncio.timeout(20):
            while len(echoes := [r for r in await read_topic(kafka_bootstrap, EMAIL_SENT.name)
                                 if r.key.decode() in taken and b"cloudevents-test" in r.value]) < len(messages):
                await asyncio.sleep(0.2)

    # Then it took all three, each with its correlation id and schema version
    assert {subject: taken[subject][1:] for subject in taken} == {
        binary: (f"journey-of-{binary}", EMAIL_SENT.dataschema, binary),
        structured: (f"journey-of-{structured}", EMAIL_SENT.dataschema, structured),
        stored["subject"]: (stored["correlation_id"], EMAIL_SENT.dataschema, stored["subject"]),
    }
    # and what it wrote parses with the SDK, the Correlation extension naming the journey and the cause
    parsed = [ce_kafka.from_kafka_event(ce_kafka.KafkaMessage(headers=dict(r.headers), key=r.key, value=r.value))
              for r in echoes]
    assert {(e.get_subject(), e.get_extension("correlationid"), e.get_extension("causationid"), e.get_dataschema(),
             e.get_data()["application_id"]) for e in parsed} == {
        (subject, correlation_id, taken[subject][0], EMAIL_SENT.dataschema, subject)
        for subject, (_, correlation_id, _, _) in taken.items()}
