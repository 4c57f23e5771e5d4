"""Dead letters: list what waits on the `.dlq` topics, and replay records once the cause of their failure is fixed.

    python -m infra.dead_letters list   [--bootstrap B] [--topic aif.routing.decision-made.v1]
    python -m infra.dead_letters replay aif.routing.decision-made.v1.dlq:2:0 [<id> ...] [--bootstrap B]
    python -m infra.dead_letters replay --all --topic aif.routing.decision-made.v1.dlq [--bootstrap B]

A record's id is `<dlq-topic>:<partition>:<offset>`. Reading never joins a consumer group and never waits for new
messages: it assigns the partitions and reads from the beginning to the end offsets found when it started.
Replay publishes each record's original value and key to its original topic (the dlq topic without `.dlq`), with
its original headers minus the x-dlq-* ones, plus `x-dlq-replayed-from: <id>` (acks=all, idempotent producer).
Every id is checked before anything is published: one unknown id and nothing is replayed.

Replaying is safe to repeat, and safe for a record that was in fact processed: every consumer is idempotent.
intake, triage and routing record each event id in their inbox and ignore an event they processed before; notify
sends one email per application and notice kind. The default bootstrap is KAFKA_BOOTSTRAP_SERVERS, else
127.0.0.1:9092. On a cluster with authentication and TLS the command signs in with the services' settings
(KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_SSL_CAFILE) of a user that may read the `.dlq` topics and write the
original ones, the operator; with KAFKA_AUTH=scram and no user, as the local secured broker's operator
(infra/credentials.py: operator_options), so `KAFKA_AUTH=scram make dead-letters` works as `make dead-letters`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from contracts.topics import ALL, DLQ_SUFFIX, Topic, by_name
from infra.credentials import operator_options
from services.runtime import dead_letter as dlq
from services.runtime.topic_reader import CLIENT, NoSuchTopic, read_topics

REPLAYED_FROM = "x-dlq-replayed-from"


class Refused(Exception):
    """An operator error: printed as one line, nothing done."""


def registry_topic(name: str) -> Topic:
    """The registry topic of `name`, given as the topic or as its dead-letter twin."""
    try:
        return by_name(name.removesuffix(DLQ_SUFFIX))
    except KeyError as error:
        raise Refused(error.args[0]) from None


def record_id(record) -> str:
    return f"{record.topic}:{record.partition}:{record.offset}"


async def read(bootstrap: str, dlq_topics: list[str], client: dict[str, Any]) -> list:
    """Every record on `dlq_topics`, from the beginning to the end offsets captured at start, in no group."""
    try:
        return await read_topics(bootstrap, dlq_topics, **client)
    except NoSuchTopic as error:
        raise Refused(str(error)) from None


def describe(record) -> str:
    headers = {k: v.decode("utf-8", "replace") for k, v in record.headers}
    when = datetime.fromtimestamp(record.timestamp / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    error = (headers.get(dlq.HEADER_ERROR) or "").strip().splitlines() or ["?"]
    key = record.key.decode("utf-8", "replace") if record.key is not None else "(none)"
    return "\n".join([
        record_id(record),
        f"  key:      {key}",
        f"  when:     {when}",
        f"  service:  {headers.get(dlq.HEADER_SERVICE, '?')}",
        f"  attempts: {headers.get(dlq.HEADER_ATTEMPTS, '?')}",
        f"  error:    {headers.get(dlq.HEADER_ERROR_TYPE, '?')}: {error[0]}",
        f"  origin:   {headers.get(dlq.HEADER_ORIGIN, '?')}",
    ])


async def list_dead_letters(bootstrap: str, topic: str | None, client: dict[str, Any]) -> None:
    """Print every dead letter and a count per topic; `client` are aiokafka's sign-in settings."""
    names = [registry_topic(topic).dlq] if topic else [t.dlq for t in ALL]
    records = await read(bootstrap, names, client)
    for record in records:
        print(describe(record) + "\n")
    for name in names:
        count = sum(1 for r in records if r.topic == name)
        print(f"{name}: {count} record{'' if count == 1 else 's'}")


async def replay(bootstrap: str, ids: list[str], every_on: str | None, client: dict[str, Any]) -> None:
    if every_on:
        names = [registry_topic(every_on).dlq]
    else:
        for id_ in ids:
            name, *position = id_.rsplit(":", 2)
            if (len(position) != 2 or not all(p.isdigit() for p in position) or not name.endswith(DLQ_SUFFIX)
                    or name.removesuffix(DLQ_SUFFIX) not in {t.name for t in ALL}):
                raise Refused(f"unknown id {id_}: ids are <dlq-topic>:<partition>:<offset> on a registry topic's "
                              "dead-letter twin, as `list` shows them; nothing replayed")
        names = sorted({id_.rsplit(":", 2)[0] for id_ in ids})
    found = {record_id(r): r for r in await read(bootstrap, names, client)}
    if unknown := [id_ for id_ in ids if id_ not in found]:
        raise Refused(f"unknown id {', '.join(unknown)}: no such record on {', '.join(names)}; nothing replayed")
    chosen = list(found.values()) if every_on else [found[id_] for id_ in dict.fromkeys(ids)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                **{**CLIENT, **client})
    try:
        await producer.start()
        for record in chosen:
            origin = record.topic.removesuffix(DLQ_SUFFIX)
            headers = [(k, v) for k, v in record.headers if not k.startswith("x-dlq-")]
            headers.append((REPLAYED_FROM, record_id(record).encode()))
            sent = await producer.send_and_wait(origin, record.value, key=record.key, headers=headers)
            print(f"replayed {record_id(record)} -> {origin}:{sent.partition}:{sent.offset}")
    finally:
        await producer.stop()
    if not chosen:
        print(f"nothing to replay on {names[0]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.dead_letters", description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="every record on the dead-letter topics")
    listing.add_argument("--topic", help="only this registry topic's dead letters")
    replaying = commands.add_parser("replay", help="republish records to their original topic")
    replaying.add_argument("ids", nargs="*", metavar="id", help="<dlq-topic>:<partition>:<offset>")
    replaying.add_argument("--all", action="store_true", help="every record on --topic")
    replaying.add_argument("--topic", help="the dead-letter topic of --all")
    for sub in (listing, replaying):
        sub.add_argument("--bootstrap", default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.getLogger("aiokafka").addHandler(logging.NullHandler())  # its connection errors: one line below
    logging.getLogger("aiokafka").propagate = False
    if args.command == "replay" and (bool(args.ids) == args.all or args.all != bool(args.topic)):
        parser.error("replay takes ids, or --all with --topic <dlq topic>")
    try:
        client = operator_options()
        if args.command == "list":
            asyncio.run(list_dead_letters(args.bootstrap, args.topic, client))
        else:
            asyncio.run(replay(args.bootstrap, args.ids, args.topic if args.all else None, client))
    except Refused as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (KafkaError, OSError, TimeoutError) as error:
        print(f"error: cannot reach Kafka at {args.bootstrap}: {error or type(error).__name__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
