"""Generating work and checking the history, the way Kafka's own system tests do: submit a stream of
applications, inject one fault in the middle of it, then check the invariants on what users see."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from contracts.topics import ALL, DECISION_MADE, EMAIL_SENT
from infra import samples
from tests.support.kafka import read_topic
from tests.support.report import report
from tests.support.system import System

Fault = Callable[[], Awaitable[None]]


@dataclass
class Stream:
    accepted: dict[str, str] = field(default_factory=dict)  # application id -> status link
    refused: int = 0  # requests that got no 202 (intake was down): never promised anything


async def submit_stream(system: System, count: int, *, fault_at: int | None = None, fault: Fault | None = None,
                        concurrency: int = 6) -> Stream:
    """Submit `count` applications; after `fault_at` of them were answered, inject `fault` while the stream
    goes on. A request that fails while a component is down is retried a few times, as a client would."""
    stream, numbers = Stream(), iter(range(count))
    fault_task: asyncio.Task | None = None

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal fault_task
        for number in numbers:
            for attempt in range(40):
                try:
                    response = await client.post(f"{system.intake}/v1/applications", json=samples.numbered(number))
                except httpx.TransportError:
                    await asyncio.sleep(0.25)
                    continue
                if response.status_code == 202:
                    stream.accepted[response.json()["application_id"]] = response.json()["status_url"]
                    break
                await asyncio.sleep(0.25)  # 5xx while a dependency is away
            else:
                stream.refused += 1
            if fault and fault_task is None and len(stream.accepted) >= (fault_at or 0):
                fault_task = asyncio.create_task(fault())

    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    if fault_task:
        await fault_task
    return stream


async def wait_until_decided(system: System, stream: Stream, timeout: float = 120) -> set[str]:
    """Poll every status link until it shows a decision and its email; returns the ids still waiting."""
    waiting = set(stream.accepted)
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=10) as client:
        while waiting and asyncio.get_running_loop().time() < deadline:
            for application_id in sorted(waiting)[:50]:
                try:
                    status = (await client.get(stream.accepted[application_id])).json()
                except httpx.TransportError:
                    break  # intake restarting
                if "decision" in status and any(e["event"].endswith("email-sent") for e in status["timeline"]):
                    waiting.discard(application_id)
            await asyncio.sleep(0.2)
    return waiting


@dataclass
class Tally:
    submitted: int
    accepted: int
    refused: int
    decided: int
    undecided: int
    decisions_per_application: Counter
    emails_per_application: Counter  # SMTP deliveries
    notices_per_application: Counter  # distinct Message-IDs: the emails the applicant's mail client shows
    duplicate_records: int
    dead_letters: int

    def line(self, scenario: str) -> str:
        extra_decisions = sum(n - 1 for n in self.decisions_per_application.values() if n > 1)
        line = (f"[{scenario}] submitted={self.submitted} accepted={self.accepted} refused={self.refused} "
                f"decided={self.decided} undecided={self.undecided} "
                f"emails={sum(self.notices_per_application.values())} duplicate_decisions={extra_decisions} "
                f"duplicate_emails={self.resent_emails} redelivered_records={self.duplicate_records} "
                f"dead_letters={self.dead_letters}")
        return report(line)

    @property
    def resent_emails(self) -> int:
        """SMTP deliveries beyond the first of a notice: the same email, same Message-ID, sent again."""
        return sum(n - 1 for n in self.emails_per_application.values() if n > 1)

    def assert_invariants(self, resent_emails_allowed: int = 0) -> None:
        assert self.undecided == 0, "every application answered 202 reaches a decision"
        assert set(self.decisions_per_application.values()) == {1}, "exactly one decision each"
        assert set(self.notices_per_application.values()) == {1}, "exactly one email (Message-ID) each"
        assert self.resent_emails <= resent_emails_allowed, "no email delivered twice"


async def tally(system: System, stream: Stream, submitted: int, timeout: float = 120) -> Tally:
    undecided = await wait_until_decided(system, stream, timeout)
    keys = {application_id.encode() for application_id in stream.accepted}
    decisions = [r for r in await read_topic(system.bootstrap, DECISION_MADE.name) if r.key in keys]
    distinct_decisions = {(r.key, json.loads(r.value)["id"]) for r in decisions}
    emails_sent = [r for r in await read_topic(system.bootstrap, EMAIL_SENT.name) if r.key in keys]
    dead = [r for topic in ALL for r in await read_topic(system.bootstrap, topic.dlq) if r.key in keys]
    deliveries = [(m["X-Application-Id"], m["Message-ID"]) for m in system.mailbox()]
    mailbox = Counter(application_id for application_id, _ in deliveries)
    notices = Counter(application_id for application_id, _ in set(deliveries))
    decided_per_application = Counter(key.decode() for key, _ in distinct_decisions)
    return Tally(
        submitted=submitted, accepted=len(stream.accepted), refused=stream.refused,
        decided=len(stream.accepted) - len(undecided), undecided=len(undecided),
        decisions_per_application=Counter({a: decided_per_application[a] for a in stream.accepted}),
        emails_per_application=Counter({a: mailbox[a] for a in stream.accepted}),
        notices_per_application=Counter({a: notices[a] for a in stream.accepted}),
        duplicate_records=(len(decisions) - len(distinct_decisions)) + (len(emails_sent) - len({
            json.loads(r.value)["id"] for r in emails_sent})),
        dead_letters=len(dead),
    )
