"""Offering load and watching it arrive: feeders that keep a fixed rate (open loop) or send all at once, and a
collector that notes when each application's decision and email show up on their topics.

Every time is `time.monotonic()` in the bench's own process. A fed application counts from the moment the
schedule meant to send it, not from when the feeder got round to it: a feeder falling behind shows as latency
instead of hiding it (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.runtime.topic_reader import partitions_of

TICK_SECONDS = 0.005
Message = tuple[bytes, bytes, list[tuple[str, bytes]]]  # key, value, headers


def schedule(count: int, rate: float | None) -> Iterator[list[tuple[int, float]]]:
    """Yield, tick by tick, the (number, intended time) of the applications due by now; all at once when `rate` is
    None (saturation)."""
    start = time.monotonic()
    if rate is None:
        yield [(number, start) for number in range(count)]
        return
    number = 0
    while number < count:
        due = min(count, int((time.monotonic() - start) * rate) + 1)
        yield [(n, start + n / rate) for n in range(number, due)]
        number = due


async def feed_topic(producer: AIOKafkaProducer, topic: str, count: int, rate: float | None,
                     message: Callable[[int], Message], sent: dict[str, float]) -> None:
    """Publish `count` messages on `topic` at `rate` a second, as a service's producer would."""
    acks = []
    for due in schedule(count, rate):
        for number, intended in due:
            key, value, headers = message(number)
            sent[key.decode()] = intended if rate else time.monotonic()
            acks.append(await producer.send(topic, value, key=key, headers=headers))
        if rate:
            await asyncio.sleep(TICK_SECONDS)
    await asyncio.gather(*acks)


@dataclass
class HttpOutcome:
    refused: dict[int, int] = field(default_factory=dict)  # status code -> count
    failed: int = 0  # no answer at all


async def feed_http(url: str, count: int, rate: float | None, body: Callable[[int], dict],
                    sent: dict[str, float], in_flight: int = 64) -> HttpOutcome:
    """POST `count` applications to intake's API at `rate` a second through a pool of `in_flight` connections."""
    outcome, gate = HttpOutcome(), asyncio.Semaphore(in_flight)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)

    async def post(client: httpx.AsyncClient, number: int, intended: float) -> None:
        async with gate:
            start = intended if rate else time.monotonic()
            try:
                response = await client.post(url, json=body(number))
            except httpx.HTTPError:
                outcome.failed += 1
                return
        if response.status_code == 202:
            sent[response.json()["application_id"]] = start
        else:
            outcome.refused[response.status_code] = outcome.refused.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        requests = []
        for due in schedule(count, rate):
            requests += [asyncio.create_task(post(client, number, intended)) for number, intended in due]
            await asyncio.sleep(TICK_SECONDS if rate else 0)
        await asyncio.gather(*requests)
    return outcome


class Collector:
    """Reads the watched topics from their end (no consumer group) and notes each key's first arrival."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.bootstrap, self.topics = bootstrap, topics
        self.arrivals: dict[str, dict[str, float]] = {topic: {} for topic in topics}
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                          fetch_max_wait_ms=5)
        await self._consumer.start()
        partitions = await partitions_of(self._consumer, self.topics)
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._consumer
        while True:
            batches = await self._consumer.getmany(timeout_ms=50)
            now = time.monotonic()
            for partition, records in batches.items():
                seen = self.arrivals[partition.topic]
                for record in records:
                    seen.setdefault(record.key.decode(), now)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer:
            await self._consumer.stop()

    def arrived(self, topic: str, keys) -> int:
        seen = self.arrivals[topic]
        return sum(1 for key in keys if key in seen)
