"""A partner factory whose program uses the official CloudEvents SDK's Kafka binding, as contracts/README.md
shows: it parses the offer Luxembourg sent it, answers with an event the SDK built, and the answer reaches the
applicant's status page. An event the SDK wrote in binary mode is taken by the pipeline like a structured one."""

from __future__ import annotations

import time
import uuid

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent

from contracts import signing, topics
from contracts.events import ApplicationSubmitted
from infra import samples
from tests.support.kafka import publish_raw, records_about
from tests.support.partners import consenting_rhein_radiologie, credentials, error_of, partner, wait_for

OFFERS_TO_JAIF = topics.referrals_to("jaif")


def parsed(record) -> CloudEvent:
    """A record read from a topic, as the SDK parses it."""
    return ce_kafka.from_kafka_event(ce_kafka.KafkaMessage(headers=dict(record.headers), key=record.key,
                                                           value=record.value))


def jaif_accepts(offer: CloudEvent) -> CloudEvent:
    """JAIF's answer to `offer`, built with the SDK: in JAIF's name, in the offer's journey."""
    return CloudEvent(attributes={
        "source": signing.partner_source("jaif"), "type": topics.REFERRAL_REPLIES.event_type,
        "subject": offer.get_subject(), "datacontenttype": "application/json",
        "dataschema": topics.REFERRAL_REPLIES.dataschema, "correlationid": offer.get_extension("correlationid"),
        "causationid": offer.get_id(), "partitionkey": offer.get_subject(),
    }, data={"application_id": offer.get_data()["application_id"], "offer_id": offer.get_data()["offer_id"],
             "factory_id": "jaif", "answer": "accept"})


async def test_a_partner_with_the_cloudevents_sdk_parses_its_offer_and_its_answer_is_taken(system):
    # Given Rhein Radiologie, consenting to share, offered to the JUPITER AI Factory (jaif)
    response = await system.submit(consenting_rhein_radiologie("Dr. Jonas Brandt"))
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    (record,) = await wait_for(lambda: records_about(system.bootstrap, OFFERS_TO_JAIF.name, application_id),
                               lambda found: len(found) == 1)

    # When JAIF's program parses the offer with the SDK
    offer = parsed(record)
    # Then it reads the attributes the contract names, and the offer
    assert (offer.get_specversion(), offer.get_type(), offer.get_dataschema(), offer.get_subject()) == (
        "1.0", OFFERS_TO_JAIF.event_type, OFFERS_TO_JAIF.dataschema, application_id)
    assert offer.get_extension("correlationid") and offer.get_extension("causationid")
    assert offer.get_data()["factory_id"] == "jaif"

    # When JAIF answers with events the SDK built and signed with its key: first in binary mode, then structured
    key = credentials(system).signing_key("jaif")
    async with partner(system, "jaif") as jaif:
        for message in (ce_kafka.to_binary_event(jaif_accepts(offer)), ce_kafka.to_structured_event(
                jaif_accepts(offer))):
            await jaif.producer.send_and_wait(
                topics.REFERRAL_REPLIES.name, message.value, key=message.key.encode(),
                headers=[*message.headers.items(), (signing.KAFKA_HEADER, signing.sign(key, message.value).encode())])

    # Then the structured answer is taken: the applicant's status page says JAIF accepted
    await system.wait_until(status_url, lambda s: any("accepted the referral" in e["summary"] for e in s["timeline"]))
    # And the binary one waits on the dead-letter topic: its attributes, in headers, are not covered by the signature
    (refused,) = await wait_for(lambda: records_about(system.bootstrap, topics.REFERRAL_REPLIES.dlq, application_id),
                                lambda found: len(found) == 1)
    assert "structured events only" in error_of(refused)


async def test_an_application_the_sdk_wrote_in_binary_mode_is_scored_in_its_journey(system):
    # Given an application-submitted event built with the SDK, in binary mode: attributes in ce_ headers
    application_id, journey = f"SDK-BINARY-{time.time_ns()}", str(uuid.uuid4())
    data = ApplicationSubmitted(application_id=application_id, submitted_at="2026-12-06T09:00:00Z", channel="api",
                                **samples.PETIT_FOUR.body)
    message = ce_kafka.to_binary_event(CloudEvent(attributes={
        "id": journey, "source": "/aiguillage/intake", "type": topics.APPLICATION_SUBMITTED.event_type,
        "subject": application_id, "datacontenttype": "application/json",
        "dataschema": topics.APPLICATION_SUBMITTED.dataschema, "correlationid": journey,
        "partitionkey": application_id}, data=data.model_dump(mode="json")))
    assert "ce_correlationid" in message.headers and b"ce_" not in message.value

    # When it is on the topic triage reads
    await publish_raw(system.bootstrap, topics.APPLICATION_SUBMITTED.name, message.key.encode(), message.value,
                      headers=message.headers.items())

    # Then triage scores it, in the same journey, and the scored event parses with the SDK
    (scored,) = await wait_for(lambda: records_about(system.bootstrap, topics.APPLICATION_SCORED.name,
                                                     application_id), lambda found: len(found) == 1)
    event = parsed(scored)
    assert (event.get_extension("correlationid"), event.get_extension("causationid")) == (journey, journey)
    assert event.get_dataschema() == topics.APPLICATION_SCORED.dataschema
    assert event.get_data()["application_id"] == application_id
