"""Offering load and watching it arrive: feeders that keep a fixed rate (open loop) or keep the system saturated
for a while (a standing backlog), and a collector that notes when each application's decision and email show up
on their topics.

Every time is `time.monotonic()` in the bench's own process. A fed application counts from the moment the
schedule meant to send it, not from when the feeder got round to it: a feeder falling behind shows as latency
instead of hiding it (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.runtime.topic_reader import partitions_of

TICK_SECONDS = 0.005
Message = tuple[bytes, bytes, list[tuple[str, bytes]]]  # key, value, headers
Ticks = Iterator[list[tuple[int, float]]]  # tick by tick, the (number, intended time) of the applications due


def schedule(count: int, rate: float) -> Ticks:
    """`count` applications at `rate` a second."""
    start = time.monotonic()
    number = 0
    while number < count:
        due = min(count, int((time.monotonic() - start) * rate) + 1)
        yield [(n, start + n / rate) for n in range(number, due)]
        number = due


@dataclass
class Backlog:
    """What keeps a system saturated without drowning it. The applications offered and not yet done are topped up,
    tick by tick, to `seconds` of the rate of the last few seconds (at least `minimum`), and so are those its first
    stage has not finished (`entered`): a first stage that takes its whole queue in one batch finds the next one
    waiting when it is through, instead of waiting for the batch to reach the end. Never more than twice that is
    waiting in all: the stages before the slowest do about as much as it does (so each one's CPU per application
    is its own), and what is left when the feeding stops drains in a few seconds."""

    done: Callable[[], int]  # applications done so far
    entered: Callable[[], int] | None = None  # applications the first stage has finished so far
    minimum: int = 50
    seconds: float = 3.0
    span: float = 5.0  # the rate's; long enough that a batch arriving whole does not inflate it
    _seen: deque = field(default_factory=deque)  # (time, done) over the span

    def wanted(self, offered: int) -> int:
        current, done = time.monotonic(), self.done()
        self._seen.append((current, done))
        while current - self._seen[0][0] > self.span:
            self._seen.popleft()
        since, done_then = self._seen[0]
        rate = (done - done_then) / (current - since) if current > since else 0.0
        target = int(max(self.minimum, self.seconds * rate))
        more = target - (offered - done)
        if self.entered is not None:
            more = max(more, target - (offered - self.entered()))
        return max(0, min(more, 2 * target - (offered - done)))


class Follower:
    """A count read again every `period` seconds in the background, from where it stood at `start` (e.g. the
    records a consumer group has committed)."""

    def __init__(self, read: Callable[[], Awaitable[int]], period: float = 0.1) -> None:
        self.read, self.period = read, period
        self.value, self._base = 0, 0
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._base = await self.read()
        self._task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        while True:
            self.value = await self.read() - self._base
            await asyncio.sleep(self.period)

    def __call__(self) -> int:
        return self.value

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def saturating(seconds: float, backlog: Backlog, offered: Callable[[], int]) -> Ticks:
    """For `seconds`, the applications that bring the backlog back to what it wants."""
    end, number = time.monotonic() + seconds, 0
    while (current := time.monotonic()) < end:
        more = backlog.wanted(offered())
        yield [(n, current) for n in range(number, number + more)]
        number += more


async def feed_topic(producer: AIOKafkaProducer, topic: str, ticks: Ticks, message: Callable[[int], Message],
                     sent: dict[str, float]) -> None:
    """Publish the messages `ticks` call for on `topic`, as a service's producer would."""
    acks = []
    for due in ticks:
        for number, intended in due:
            key, value, headers = message(number)
            sent[key.decode()] = intended
            acks.append(await producer.send(topic, value, key=key, headers=headers))
        await asyncio.sleep(TICK_SECONDS)
    await asyncio.gather(*acks)


@dataclass
class HttpOutcome:
    refused: dict[int, int] = field(default_factory=dict)  # status code -> count
    failed: int = 0  # no answer at all
    waiting: int = 0  # requests sent and not answered yet


async def feed_http(url: str, ticks: Ticks, body: Callable[[int], dict], sent: dict[str, float],
                    outcome: HttpOutcome, in_flight: int = 64) -> HttpOutcome:
    """POST the applications `ticks` call for to intake's API through a pool of `in_flight` connections."""
    gate = asyncio.Semaphore(in_flight)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)

    async def post(client: httpx.AsyncClient, number: int, intended: float) -> None:
        try:
            async with gate:
                response = await client.post(url, json=body(number))
        except httpx.HTTPError:
            outcome.failed += 1
            return
        finally:
            outcome.waiting -= 1
        if response.status_code == 202:
            sent[response.json()["application_id"]] = intended
        else:
            outcome.refused[response.status_code] = outcome.refused.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        requests = []
        for due in ticks:
            outcome.waiting += len(due)
            requests += [asyncio.create_task(post(client, number, intended)) for number, intended in due]
            await asyncio.sleep(TICK_SECONDS)
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
        # A fetch returns as soon as a record arrives, whatever its longest wait: a short wait only made the broker
        # answer empty fetches hundreds of times a second, CPU counted as the broker's.
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                          fetch_max_wait_ms=500)
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

    def count(self, topic: str) -> int:
        """Keys seen on `topic` since the collector started."""
        return len(self.arrivals[topic])

    def arrived(self, topic: str, keys) -> int:
        seen = self.arrivals[topic]
        return sum(1 for key in keys if key in seen)
