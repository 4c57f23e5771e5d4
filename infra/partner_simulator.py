"""A partner factory played by a program: it reads its own offer topic and answers each offer by a rule, over
the same public message API a real partner uses (the JSON envelopes of contracts/schemas/, signed with the
partner's own Ed25519 private key as contracts/signing.py says; nothing else).

    python -m infra.partner_simulator --factory jaif=decline --factory gaia-aif=accept [--bootstrap HOST:PORT]

Rules: accept, decline, need-info, silent (never answers: the offer expires). Each answer is a CloudEvents
envelope on aif.referrals.replies.v1 whose source names the partner, keyed by the application id. The private
keys come from <VAR_DIR>/secrets/partners/<factory-id>.pem (made by infra/credentials.py, their public keys in
partner-keys.json); with --sasl each factory also signs in to Kafka as its own SCRAM user (passwords from
<VAR_DIR>/secrets/kafka-users.json). With --ca-file (by default KAFKA_SSL_CAFILE, or the local
CA with KAFKA_AUTH=scram) it connects over TLS and checks the broker's certificate against that CA.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import signing, topics
from contracts.envelope import SPEC_VERSION, Envelope, now
from contracts.events import ReferralIncoming, ReferralOffered, ReferralReplied
from infra.credentials import Credentials, ca_file
from services.runtime.broker import security_options

ANSWERS = {"accept": "accept", "decline": "decline", "need-info": "need_more_information"}
REASONS = {"decline": "Our experts are fully booked for this quarter.",
           "need-info": "Please tell us the size of the data set."}


def reply_to(offer: Envelope[ReferralOffered], rule: str, factory_id: str | None = None) -> Envelope[ReferralReplied]:
    """The answer to `offer` by `rule`, in the name of `factory_id` (by default the partner the offer is for)."""
    data = offer.data
    speaker = factory_id or data.factory_id
    reply = ReferralReplied(application_id=data.application_id, offer_id=data.offer_id, factory_id=speaker,
                            answer=ANSWERS[rule], reason=REASONS.get(rule))
    return Envelope[ReferralReplied](
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{data.offer_id}/reply/{speaker}")),
        source=signing.partner_source(speaker), type=topics.REFERRAL_REPLIES.event_type, specversion=SPEC_VERSION,
        time=now(), subject=data.application_id, dataschema=topics.REFERRAL_REPLIES.dataschema,
        correlationid=offer.correlationid, causationid=offer.id, data=reply)


def referral(incoming: ReferralIncoming) -> Envelope[ReferralIncoming]:
    """The envelope of an incoming referral the partner `incoming.from_factory` sends."""
    event_id = str(uuid.uuid4())
    return Envelope[ReferralIncoming](
        id=event_id, source=signing.partner_source(incoming.from_factory), type=topics.REFERRALS_INCOMING.event_type,
        specversion=SPEC_VERSION, time=now(), subject=incoming.referral_id,
        dataschema=topics.REFERRALS_INCOMING.dataschema, correlationid=event_id, data=incoming)


class Partner:
    """One partner factory's client: it reads its offers and sends signed messages."""

    def __init__(self, factory_id: str, signing_key: Ed25519PrivateKey, bootstrap: str, password: str | None = None,
                 ca_file: Path | None = None) -> None:
        self.factory_id, self.signing_key = factory_id, signing_key
        self._security = security_options(factory_id if password else None, password, ca_file)
        self._bootstrap = bootstrap
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                         **self._security)

    def consumer(self) -> AIOKafkaConsumer:
        """A consumer of this partner's own offer topic, in the consumer group named after the partner."""
        return AIOKafkaConsumer(topics.referrals_to(self.factory_id).name, bootstrap_servers=self._bootstrap,
                                group_id=self.factory_id, auto_offset_reset="earliest", enable_auto_commit=False,
                                **self._security)

    async def __aenter__(self) -> Partner:
        await self.producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.producer.stop()

    async def send(self, topic: topics.Topic, envelope: Envelope, *, key: str | None = None) -> None:
        value = envelope.model_dump_json().encode()
        await self.producer.send_and_wait(
            topic.name, value, key=(key or envelope.subject).encode(),
            headers=[("content-type", b"application/cloudevents+json"),
                     (signing.KAFKA_HEADER, signing.sign(self.signing_key, value).encode())])


async def answer_offers(partner: Partner, rule: str, stop: asyncio.Event) -> None:
    consumer = partner.consumer()
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    offer = Envelope[ReferralOffered].model_validate_json(record.value)
                    if rule != "silent":
                        await partner.send(topics.REFERRAL_REPLIES, reply_to(offer, rule))
                        print(f"{partner.factory_id}: {ANSWERS[rule]} {offer.data.application_id}", flush=True)
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()


async def run(bootstrap: str, rules: dict[str, str], stop: asyncio.Event, credentials: Credentials,
              use_sasl: bool = False, ca_file: Path | None = None) -> None:
    partners = [Partner(factory, credentials.signing_key(factory), bootstrap,
                        credentials.password(factory) if use_sasl else None, ca_file) for factory in rules]
    for partner in partners:
        await partner.__aenter__()
    print(f"partner simulator answering for {', '.join(f'{f}={r}' for f, r in rules.items())}", flush=True)
    try:
        await asyncio.gather(*(answer_offers(partner, rules[partner.factory_id], stop) for partner in partners))
    finally:
        for partner in partners:
            await partner.__aexit__()


def parse_rules(pairs: list[str]) -> dict[str, str]:
    rules = {}
    for pair in pairs:
        factory, _, rule = pair.partition("=")
        if rule not in (*ANSWERS, "silent"):
            raise SystemExit(f"--factory {pair}: the rule must be one of accept, decline, need-info, silent")
        rules[factory] = rule
    return rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factory", action="append", required=True, metavar="ID=RULE")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--secrets", type=Path, default=Path(os.environ.get("VAR_DIR", "var")) / "secrets",
                        help="the directory of partners/<factory-id>.pem and kafka-users.json (default: var/secrets)")
    parser.add_argument("--sasl", action="store_true", help="sign in to Kafka as each factory's SCRAM user")
    parser.add_argument("--ca-file", type=Path, default=ca_file(),
                        help="connect over TLS, checking the broker against this CA (default: KAFKA_SSL_CAFILE)")
    args = parser.parse_args()

    async def serve() -> None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await run(args.bootstrap, parse_rules(args.factory), stop, Credentials(args.secrets), args.sasl, args.ca_file)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
