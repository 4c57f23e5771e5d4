"""What a partner factory sends must carry its own identity: signed with its own key, in its own name. And a
project a partner refers to Luxembourg becomes an application like any other, never offered back to it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time

from contracts import reference, signing, topics
from contracts.envelope import Envelope
from contracts.events import DecisionMade, ReferralIncoming, ReferralOffered
from infra.partner_simulator import referral, reply_to
from services.intake.partners.incoming import application_id_of
from tests.support.kafka import read_topic, records_about
from tests.support.partners import consenting_rhein_radiologie, error_of, partner, wait_for






async def offers_to(system, factory_id: str, application_id: str) -> list[Envelope[ReferralOffered]]:
    return [Envelope[ReferralOffered].model_validate_json(r.value)
            for r in await records_about(system.bootstrap, topics.referrals_to(factory_id).name, application_id)]


async def dead_letters(system, topic: topics.Topic, application_id: str) -> list:
    return await records_about(system.bootstrap, topic.dlq, application_id)


async def decisions_of(system, application_id: str) -> list[DecisionMade]:
    return [Envelope[DecisionMade].model_validate_json(r.value).data
            for r in await records_about(system.bootstrap, topics.DECISION_MADE.name, application_id)]


async def test_a_partner_cannot_answer_in_another_partners_name(system):
    # Given Rhein Radiologie, consenting to share, offered to the JUPITER AI Factory (jaif)
    response = await system.submit(consenting_rhein_radiologie("Dr. Lena Vogt"))
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    (offer,) = await wait_for(lambda: offers_to(system, "jaif", application_id), lambda found: len(found) == 1)

    # When AI Factory France (ai2f) declines it in JAIF's name: signed with its own key, with JAIF's key
    # unknown to it, and unsigned
    async with partner(system, "ai2f") as ai2f:
        await ai2f.send(topics.REFERRAL_REPLIES, reply_to(offer, "decline"))
        await ai2f.send(topics.REFERRAL_REPLIES, reply_to(offer, "decline", factory_id="jaif").model_copy(
            update={"source": signing.partner_source("ai2f"), "id": "ai2f-speaks-for-jaif"}))
        await ai2f.producer.send_and_wait(topics.REFERRAL_REPLIES.name, reply_to(offer, "accept").model_copy(
            update={"id": "unsigned"}).model_dump_json().encode(), key=application_id.encode())

    # Then each is refused: on the dead-letter topic, with the reason
    refused = await wait_for(lambda: dead_letters(system, topics.REFERRAL_REPLIES, application_id),
                             lambda found: len(found) == 3)
    assert sorted(error_of(record) for record in refused) == [
        "partner ai2f sent a message in the name of jaif",
        "the message of partner jaif is not signed (aif-signature header)",
        "the signature is not partner jaif's: the message was not sent by jaif or was changed on the way",
    ]
    # And the offer still waits for JAIF: nothing was declined
    status = await system.status(status_url)
    assert [e["summary"].split(" (")[0] for e in status["timeline"] if e["event"] == "lu.aif.routing.referral-updated"] \
        == [f"Offered to {reference.load().factory('jaif').name}"]

    # When JAIF itself accepts
    async with partner(system, "jaif") as jaif:
        await jaif.send(topics.REFERRAL_REPLIES, reply_to(offer, "accept"))
    # Then its answer is taken
    await system.wait_until(status_url, lambda s: any("accepted the referral" in e["summary"] for e in s["timeline"]))


def incoming(factory_id: str, referral_id: str) -> ReferralIncoming:
    body = consenting_rhein_radiologie("Dr. Max Keller")
    body["project"]["declared_sectors"] = ["health", "not-a-sector"]
    return ReferralIncoming(referral_id=referral_id, from_factory=factory_id,
                            note="A Luxembourg branch will run the project.", **body)


async def test_a_partners_referral_becomes_an_application_and_is_never_offered_back(system):
    # Given a health project that would go to the JUPITER AI Factory (jaif), referred to Luxembourg by jaif
    sent = incoming("jaif", f"JAIF-{time.time_ns()}")
    application_id = application_id_of(sent)

    # When jaif sends it, and sends it again by mistake as another message
    async with partner(system, "jaif") as jaif:
        await jaif.send(topics.REFERRALS_INCOMING, referral(sent))
        await jaif.send(topics.REFERRALS_INCOMING, referral(sent))

    # Then intake takes it in once, from the partner, leaving out the sector it does not know
    submitted = await wait_for(
        lambda: read_topic(system.bootstrap, topics.APPLICATION_SUBMITTED.name),
        lambda records: any(r.key == application_id.encode() for r in records))
    (record,) = [r for r in submitted if r.key == application_id.encode()]
    event = Envelope[topics.APPLICATION_SUBMITTED.payload].model_validate_json(record.value).data
    assert event.channel == "partner:jaif" and event.project.declared_sectors == ["health"]
    # And routing decides it like any other, but never sends it back to jaif, and says so
    (decision,) = await wait_for(lambda: decisions_of(system, application_id), lambda found: len(found) >= 1)
    assert decision.factory_id != "jaif"
    assert any("referred the project to Luxembourg" in reason for reason in decision.reasons)
    assert not await offers_to(system, "jaif", application_id)
    # And no second application was made of the copy
    await asyncio.sleep(1)
    assert len([r for r in await read_topic(system.bootstrap, topics.APPLICATION_SUBMITTED.name)
                if r.key == application_id.encode()]) == 1


async def test_a_referral_signed_with_the_former_shared_key_is_refused_naming_the_partner(system):
    # Given JAIF still signing the former way: an HMAC-SHA256 with the shared key it held before its key pair
    sent = incoming("jaif", f"HMAC-{time.time_ns()}")
    value = referral(sent).model_dump_json().encode()
    former = "sha256=" + hmac.new(b"jaif's former shared key", value, hashlib.sha256).hexdigest()
    async with partner(system, "jaif") as jaif:
        await jaif.producer.send_and_wait(topics.REFERRALS_INCOMING.name, value, key=sent.referral_id.encode(),
                                          headers=[("content-type", b"application/cloudevents+json"),
                                                   (signing.KAFKA_HEADER, former.encode())])
    # Then it is on the dead-letter topic naming JAIF, and no application was made of it
    (refused,) = await wait_for(lambda: dead_letters(system, topics.REFERRALS_INCOMING, sent.referral_id),
                                lambda found: len(found) == 1)
    assert error_of(refused) == ("the signature is not partner jaif's: the message was not sent by jaif or was "
                                 "changed on the way")
    submitted = await read_topic(system.bootstrap, topics.APPLICATION_SUBMITTED.name)
    assert not [r for r in submitted if r.key == application_id_of(sent).encode()]


async def test_a_referral_in_another_partners_name_is_refused(system):
    # Given AI Factory France sending a referral in JAIF's name, signed with its own key
    sent = incoming("jaif", f"FORGED-{time.time_ns()}")
    async with partner(system, "ai2f") as ai2f:
        await ai2f.send(topics.REFERRALS_INCOMING, referral(sent))
    # Then it is on the dead-letter topic with the reason, and no application was made of it
    (refused,) = await wait_for(lambda: dead_letters(system, topics.REFERRALS_INCOMING, sent.referral_id),
                                lambda found: len(found) == 1)
    assert "the signature is not partner jaif's" in error_of(refused)
    submitted = await read_topic(system.bootstrap, topics.APPLICATION_SUBMITTED.name)
    assert not [r for r in submitted if r.key == application_id_of(sent).encode()]
