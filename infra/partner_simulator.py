"""A partner factory played by a program: it reads its own offer topic and answers each offer by a rule, over
the same public message API a real partner uses (the JSON envelopes of contracts/schemas/, nothing else).

    python -m infra.partner_simulator --factory jaif=decline --factory ai2f=accept [--bootstrap HOST:PORT]

Rules: accept, decline, need-info, silent (never answers: the offer expires). Each answer is a CloudEvents
envelope on aif.referrals.replies.v1 whose source names the partner, keyed by the application id.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts import topics
from contracts.envelope import Envelope, now
from contracts.events import ReferralOffered, ReferralReplied

ANSWERS = {"accept": "accept", "decline": "decline", "need-info": "need_more_information"}
REASONS = {"decline": "Our experts are fully booked for this quarter.",
           "need-info": "Please tell us the size of the data set."}


def reply_to(offer: Envelope[ReferralOffered], rule: str) -> Envelope[ReferralReplied]:
    data = offer.data
    reply = ReferralReplied(application_id=data.application_id, offer_id=data.offer_id, factory_id=data.factory_id,
                            answer=ANSWERS[rule], reason=REASONS.get(rule))
    return Envelope[ReferralReplied](
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{data.offer_id}/reply")), source=f"/partners/{data.factory_id}",
        type=topics.REFERRAL_REPLIES.event_type, time=now(), subject=data.application_id,
        correlation_id=offer.correlation_id, causation_id=offer.id, schema_version=1, data=reply)


async def run(bootstrap: str, rules: dict[str, str], stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(*(topics.referrals_to(f).name for f in rules), bootstrap_servers=bootstrap,
                                group_id=f"partner-simulator-{'-'.join(sorted(rules))}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    print(f"partner simulator answering for {', '.join(f'{f}={r}' for f, r in rules.items())}", flush=True)
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    offer = Envelope[ReferralOffered].model_validate_json(record.value)
                    rule = rules[offer.data.factory_id]
                    if rule != "silent":
                        answer = reply_to(offer, rule)
                        await producer.send_and_wait(topics.REFERRAL_REPLIES.name, answer.model_dump_json().encode(),
                                                     key=answer.subject.encode())
                        print(f"{offer.data.factory_id}: {answer.data.answer} {offer.data.application_id}", flush=True)
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


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
    args = parser.parse_args()

    async def serve() -> None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await run(args.bootstrap, parse_rules(args.factory), stop)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
