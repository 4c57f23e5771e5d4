"""The baseline: one hop of a bare aiokafka consume-produce relay, as fast as Kafka and Python allow.

    python -m bench.relay --bootstrap HOST:PORT --source TOPIC --sink TOPIC --templates FILE.json

It reads a batch, sends for each record the message of the next hop (the same bytes and headers a real service
wrote for an application of the same kind, from the templates file), waits for every acknowledgement
(acks=all, idempotent producer, as the services), then commits the batch's offsets: at least once, in order
per key. No database, no inbox, no outbox: the floor the pipeline is measured against.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import zlib

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


def kind_of(key: bytes, kinds: int) -> int:
    """Which template an application's messages take: the feeder and every hop agree from the key alone."""
    return zlib.crc32(key) % kinds


def load_templates(path: str, hop: int) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """The messages of `hop`, one per kind: (value, headers)."""
    document = json.loads(open(path, encoding="utf-8").read())
    return [(kind["values"][hop].encode(), [(name, value.encode("latin-1")) for name, value in kind["headers"][hop]])
            for kind in document["kinds"]]


async def relay(bootstrap: str, source: str, sink: str, templates: list, group: str) -> None:
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
            batches = await consumer.getmany(timeout_ms=200)
            sent = []
            for records in batches.values():
                for record in records:
                    value, headers = templates[kind_of(record.key, len(templates))]
                    sent.append(await producer.send(sink, value, key=record.key, headers=headers))
            if sent:
                await asyncio.gather(*sent)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--hop", type=int, required=True, help="the hop the sink stands for (1: scored, ...)")
    parser.add_argument("--templates", required=True)
    args = parser.parse_args()
    asyncio.run(relay(args.bootstrap, args.source, args.sink, load_templates(args.templates, args.hop),
                      f"bench.relay.{args.hop}"))


if __name__ == "__main__":
    main()
