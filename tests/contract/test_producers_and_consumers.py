"""What every producer writes, every consumer reads: for each topic, messages built as their producer builds them
(the services' own handler functions, the partner simulator for what partners send) validate against the
committed JSON Schema and the AsyncAPI document, which is what partners code against, and go through the
consumers' own parser, decoder (schema version, partner signature) and model. So does the example the
document gives of every message."""

from __future__ import annotations

import json
from datetime import timedelta

import jsonschema
import pytest
from aiokafka import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import asyncapi, reference, signing, topics
from contracts.envelope import Envelope, derived_event_id, now
from contracts.events import (
    Applicant, DecisionMade, EmailSent, JourneyStepRecorded, OfferAnswered, OverrideRequested, ReferralIncoming,
)
from infra import samples
from infra.partner_simulator import ANSWERS, referral, reply_to
from services.intake.privacy import APPLICANT_REQUEST, erasure_of
from services.notify.render import render_decision
from services.routing import overrides, referrals
from services.routing.handlers import eligible_partners, load_policy, when_application_scored_decide_route
from services.runtime.broker import decode
from services.runtime.messages import caused_by, command, first_event
from services.runtime.partners import PartnerKeys
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy as load_triage_policy
from tests.contract.test_asyncapi import message_of
from tests.contract.test_schemas import committed
from tests.unit.test_triage_handler import submitted

REFERENCE = reference.load()
# Every factory's, the home one's too: it signs its offers, and its answers to partners' instances.
PRIVATE_KEYS = {factory.id: Ed25519PrivateKey.generate() for factory in (*REFERENCE.partners,
                                                                        REFERENCE.factory(REFERENCE.home_factory))}
PARTNER_KEYS = PartnerKeys({factory_id: key.public_key() for factory_id, key in PRIVATE_KEYS.items()})


class Session:
    """Where routing's referral exchange stores its rows: here, nowhere. The events it announces are what counts."""

    def add(self, row: object) -> None:
        pass

    async def get(self, _table: type, _key: str) -> None:
        return None  # no exchange before this one


async def offers_and_steps(scored: Envelope) -> list[Envelope]:
    """What routing announces when it opens a referral exchange: the offer to the best partner and its step.
    Opened here for every sample, with or without consent, so that the offer's optional fields come both ways."""
    emitted: list[Envelope] = []
    exchange = referrals.Exchange(REFERENCE.home_factory, timedelta(days=5), max_hops=3,
                                  emit=lambda _session, _topic, envelope: emitted.append(envelope),
                                  decide=None)  # opening an exchange decides nothing
    candidates = [{"factory_id": fit.factory_id, "name": REFERENCE.factory(fit.factory_id).name, "score": fit.score,
                   "reasons": fit.reasons} for fit in eligible_partners(scored.data)]
    await referrals.open_exchange(Session(), scored, candidates, exchange)
    return emitted


def answer_of_instance(offer: Envelope) -> Envelope:
    """The home factory's answer to an offer like this one made to it by a partner's instance: an acceptance, as
    routing gives it once its policy accepts the application taken in from the offer (services/routing)."""
    made_to_us = OfferAnswered(factory_id=offer.data.factory_id, offer_id=offer.data.offer_id,
                               application_id=offer.data.application_id)
    decision = DecisionMade(application_id="ours", outcome="accept_local", factory_id=REFERENCE.home_factory,
                            reasons=["It fits."], policy_version="p", decided_by="routing", consent_to_share=True,
                            applicant=Applicant(company_name="Athens Cardio", contact_name="Nikos Andreou",
                                                email="nikos@athens-cardio.example", language="en",
                                                project_title=offer.data.project.title),
                            expert_name="Claire Muller")
    answer = referrals.answer_to_offer(made_to_us, decision, REFERENCE)
    return caused_by(offer, answer.topic, answer.data, service="routing")


def topic_of(topic: topics.Topic, data: dict) -> str:
    """The name of the topic a message of `topic` goes to: one per partner for the offers and the answers."""
    if topic is topics.OFFERS:
        return topics.referrals_to(data["factory_id"]).name
    if topic is topics.ANSWERS:
        return topics.replies_to("pharos").name
    return topic.name


def staff_override(scored: Envelope, decision: Envelope) -> tuple[Envelope, Envelope]:
    """A staff member sends the application to review: the command as intake's console stages it, and the
    decision routing makes of it in their name (services/intake/console/overrides.py, services/routing/overrides.py)."""
    data = OverrideRequested(application_id=decision.subject, outcome="review", reason="The applicant called us.",
                             requested_by="Claire Hoffmann", staff_username="choffmann", requested_at=now())
    override = command(topics.OVERRIDE_REQUESTED, data, service="intake", subject=decision.subject,
                       correlation_id=decision.correlationid, causation_id=decision.id)
    staff_decision = overrides.decision_of(data, scored.data, decision.data.policy_version, REFERENCE)
    return override, caused_by(override, topics.DECISION_MADE, staff_decision, service="routing")


def email_sent(decision: Envelope) -> Envelope:
    """notify's announcement of the decision email it rendered (services/notify/main.py, `send_once`)."""
    application_id, email = decision.data.application_id, render_decision(decision.data, REFERENCE)
    kind = f"decision:{decision.data.outcome}:{decision.data.factory_id or '-'}"
    sent = EmailSent(application_id=application_id, notice_kind=kind, to=email.to, language=email.language,
                     subject=email.subject, message_id=f"<{derived_event_id(application_id, kind)}@aiguillage>",
                     sent_at=now())
    return caused_by(decision, topics.EMAIL_SENT, sent, service="notify")


def journey_records(decision: Envelope) -> list[Envelope]:
    """An expert's records as intake's console stages them (services/intake/journey/record.py): the matching step
    with its providers, a correction back to training, and an exit, each a command in the application's journey."""
    common = {"application_id": decision.data.application_id, "on": now().date(), "expert_id": "sofia-rossi",
              "recorded_by": "Sofia Rossi", "staff_username": "srossi", "recorded_at": now(),
              "applicant": decision.data.applicant}
    records = [JourneyStepRecorded(record="step", step="matching", providers=["sample-ledgerlight"], **common),
               JourneyStepRecorded(record="correction", step="training", reason="Matching was recorded too early.",
                                   **common),
               JourneyStepRecorded(record="exit", step="training", exit_reason="no_funding", note="No grant.",
                                   **common)]
    return [command(topics.JOURNEY_STEP_RECORDED, record, service="intake", subject=decision.subject,
                    correlation_id=decision.correlationid, causation_id=decision.id) for record in records]


def erasure(decision: Envelope) -> Envelope:
    """A staff member erases the applicant's data on their request, as intake stages it
    (services/intake/privacy.py)."""
    return command(topics.ERASURE_REQUESTED, erasure_of(decision.subject, "choffmann", APPLICANT_REQUEST),
                   service="intake", subject=decision.subject, correlation_id=decision.correlationid,
                   causation_id=decision.id)


@pytest.fixture(scope="module")
async def produced() -> dict[str, list[Envelope]]:
    """Every sample application through every producer, by the registry's topic name."""
    triage_policy, routing_policy = load_triage_policy(), load_policy()
    made: list[Envelope] = []
    for number, sample in enumerate(samples.ALL):
        application = submitted(sample, f"app-{number}")
        application_event = first_event(topics.APPLICATION_SUBMITTED, application, service="intake",
                                        subject=application.application_id)
        scored = caused_by(application_event, topics.APPLICATION_SCORED,
                           when_application_submitted_score_it(application, REFERENCE, triage_policy),
                           service="triage")
        decision = caused_by(scored, topics.DECISION_MADE,
                             when_application_scored_decide_route(scored.data, REFERENCE, routing_policy),
                             service="routing")
        exchange = await offers_and_steps(scored)
        offers = [envelope for envelope in exchange if envelope.type == topics.OFFERS.event_type]
        replies = [reply_to(offer, rule) for offer in offers for rule in ANSWERS]
        answers = [answer_of_instance(offer) for offer in offers]
        incoming = referral(ReferralIncoming(referral_id=f"JAIF-{number}", from_factory="jaif", **sample.body))
        override, staff_decision = staff_override(scored, decision)
        made += [application_event, scored, decision, email_sent(decision), *exchange, *replies, *answers, incoming,
                 override, staff_decision, email_sent(staff_decision), *journey_records(decision), erasure(decision)]
    by_topic: dict[str, list[Envelope]] = {topic.name: [] for topic in topics.PUBLISHED}
    for envelope in made:
        (topic,) = [t for t in topics.PUBLISHED if t.event_type == envelope.type]
        by_topic[topic.name].append(envelope)
    return by_topic


def record(topic_name: str, envelope: Envelope) -> ConsumerRecord:
    """The Kafka record a producer writes: keyed by the subject, the JSON value, signed when a partner sends it."""
    value = envelope.model_dump_json().encode()
    headers = [("content-type", b"application/cloudevents+json")]
    if topics.by_name(topic_name).signer:
        key = PRIVATE_KEYS[signing.partner_of(envelope.source) or ""]
        headers.append((signing.KAFKA_HEADER, signing.sign(key, value).encode()))
    return ConsumerRecord(topic=topic_name, partition=0, offset=0, timestamp=0, timestamp_type=0,
                          key=envelope.subject.encode(), value=value, checksum=None, serialized_key_size=-1,
                          serialized_value_size=len(value), headers=headers)


async def consumed(topic: topics.Topic, kafka_record: ConsumerRecord) -> Envelope:
    """The record as a consumer's reaction gets it: the services' decoder, with the partners' keys."""
    return decode(kafka_record, PARTNER_KEYS)


@pytest.mark.parametrize("topic", topics.PUBLISHED, ids=lambda t: t.name)
async def test_every_producers_messages_are_what_every_consumer_reads(topic, produced):
    document = asyncapi.document()
    message = message_of(document, document["channels"][topic.name])
    payload_schema = {**message["payload"], "components": document["components"]}
    assert produced[topic.name], f"no producer sample for {topic.name}"
    for envelope in produced[topic.name]:
        # The topic it goes to: one per partner for the offers
        name = topic_of(topic, envelope.data.model_dump())
        kafka_record = record(name, envelope)
        value = json.loads(kafka_record.value)
        # Then it is what the published contract says: schema, document, headers, key
        jsonschema.validate(value, committed(topic))
        jsonschema.validate(value, payload_schema)
        jsonschema.validate({k: v.decode() for k, v in kafka_record.headers}, message["headers"])
        assert kafka_record.key.decode() == value["data"][topic.key]
        # And every consumer reads it as it was written
        assert await consumed(topic, kafka_record) == envelope


def example_record(topic: topics.Topic, example: dict) -> ConsumerRecord:
    """The Kafka record an example of the document stands for: its key where the key binding says, its headers,
    its payload as the bytes the example's signature covers."""
    envelope, value = example["payload"], asyncapi.example_value(example["payload"])
    name = topic_of(topic, envelope["data"])
    return ConsumerRecord(topic=name, partition=0, offset=0, timestamp=0, timestamp_type=0,
                          key=envelope["data"][topic.key].encode(), value=value, checksum=None,
                          serialized_key_size=-1, serialized_value_size=len(value),
                          headers=[(header, text.encode()) for header, text in example["headers"].items()])


@pytest.mark.parametrize("topic", topics.PUBLISHED, ids=lambda t: t.name)
def test_every_message_of_the_document_has_an_example_that_consumers_read(topic):
    document = asyncapi.document()
    message = message_of(document, document["channels"][topic.name])
    payload_schema = {**message["payload"], "components": document["components"]}
    (example,) = message["examples"]
    # What the document says of the message holds for its example: headers, payload, the committed schema
    jsonschema.validate(example["headers"], message["headers"])
    jsonschema.validate(example["payload"], payload_schema)
    jsonschema.validate(example["payload"], committed(topic))
    # And the consumers read it as it is shown, its signature checked with the key the example names
    signer = signing.partner_of(example["payload"]["source"])
    keys = PartnerKeys({signer: asyncapi.EXAMPLE_SIGNING_KEY.public_key()}) if topic.signer else None
    envelope = decode(example_record(topic, example), keys)
    assert json.loads(envelope.model_dump_json()) == example["payload"]
