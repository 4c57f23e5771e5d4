"""The bare relay: one hop of an aiokafka consume-produce relay, as fast as Kafka and Python allow.

    python -m bench.relay --bootstrap HOST:PORT --source TOPIC --sink TOPIC --hop N --templates FILE.json

It reads a batch, sends for each record the message of the next hop (the same bytes and headers a real service
wrote for an application of the same kind, from the templates file), waits for every acknowledgement
(acks=all, idempotent producer, as the services), then commits the batch's offsets: at least once, in order
per key. No database, no inbox, no outbox, no domain work: the floor the pipeline is measured against. The
durable relay (bench/durable.py) runs the same loop with what a service must do with each batch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import zlib
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord


def kind_of(key: bytes, kinds: int) -> int:
    """Which template an application's messages take: the feeder and every hop agree from the key alone."""
    return zlib.crc32(key) % kinds


def load_templates(path: str, hop: int) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """The messages of `hop`, one per kind: (value, headers)."""
    document = json.loads(open(path, encoding="utf-8").read())
    return [(kind["values"][hop].encode(), [(name, value.encode("latin-1")) for name, value in kind["headers"][hop]])
            for kind in document["kinds"]]


Outgoing = list[tuple[bytes, bytes, list[tuple[str, bytes]]]]  # key, value, headers of each message to send
Handle = Callable[[list[ConsumerRecord]], Awaitable[Outgoing]]


async def relay(bootstrap: str, source: str, sink: str, group: str, handle: Handle,
                max_records: int | None = None) -> None:
    """Consume `source` in batches (of at most `max_records`, else of whatever a poll brings); send what `handle`
    makes of each batch to `sink`, await every acknowledgement, then commit the batch's offsets. Runs until
    SIGTERM or SIGINT."""
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    print(f"relaying {source} -> {sink}", flush=True)
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=max_records)
            records = [record for partition in batches.values() for record in partition]
            if records:
                sent = [await producer.send(sink, value, key=key, headers=headers)
                        for key, value, headers in await handle(records)]
                await asyncio.gather(*sent)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def from_templates(templates: list) -> Handle:
    async def handle(records: list[ConsumerRecord]) -> Outgoing:
        return [(record.key, *templates[kind_of(record.key, len(templates))]) for record in records]

    return handle


def relay_arguments(description: str, hops: list[int] | None = None) -> argparse.ArgumentParser:
    """The options of every relay process: the broker, the topics it reads and writes, the hop it stands for."""
    parser = argparse.ArgumentParser(description=description)
    for option in ("--bootstrap", "--source", "--sink"):
        parser.add_argument(option, required=True)
    parser.add_argument("--hop", type=int, required=True, choices=hops,
                        help="the hop the sink stands for: 1 scored (triage), 2 decided (routing), 3 emailed (notify)")
    return parser


def main() -> None:
    parser = relay_arguments(__doc__.splitlines()[0])
    parser.add_argument("--templates", required=True)
    args = parser.parse_args()
    asyncio.run(relay(args.bootstrap, args.source, args.sink, f"bench.relay.{args.hop}",
                      from_templates(load_templates(args.templates, args.hop))))


if __name__ == "__main__":
    main()
