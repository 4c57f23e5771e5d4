"""Generating work and checking the history, the way Kafka's own system tests do: submit a stream of
applications, inject one fault in the middle of it, then check the invariants on what users see."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from contracts.topics import ALL, APPLICATION_SUBMITTED, DECISION_MADE, EMAIL_SENT
from infra import samples
from tests.support.kafka import read_topic
from tests.support.report import report
from tests.support.system import System

Fault = Callable[[], Awaitable[None]]


@dataclass
class Stream:
    """What the clients of a stream saw. Each submission has an Idempotency-Key, kept across its retries, and a
    company name that says which submission of which stream it is (samples.numbered, then the stream's tag), so
    that the topics tell how many applications each one made, whatever the clients were told."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    accepted: dict[str, str] = field(default_factory=dict)  # application id -> status link
    answers_lost: set[int] = field(default_factory=set)  # submissions with a request sent but never answered
    refused: int = 0  # submissions that got no 202 however often they were tried


# Errors after which a request may have reached intake and been carried out: its answer was lost.
MAYBE_DONE = (httpx.ReadError, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.WriteError)


async def submit_stream(system: System, count: int, *, fault_at: int | None = None, fault: Fault | None = None,
                        concurrency: int = 6) -> Stream:
    """Submit `count` applications; after `fault_at` of them were answered, inject `fault` while the stream
    goes on. A request that fails while a component is down is retried with the same Idempotency-Key, as a
    client would; a request whose answer was lost is counted (`answers_lost`), never hidden by its retry."""
    stream, numbers = Stream(), iter(range(count))
    fault_task: asyncio.Task | None = None

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal fault_task
        for number in numbers:
            body = samples.numbered(number)
            body["company"]["name"] += f" [{stream.tag}]"  # '<sample's company> #<number> [<tag>]'
            key = {"Idempotency-Key": f"{stream.tag}-{number}"}
            for attempt in range(40):
                try:
                    response = await client.post(f"{system.intake}/v1/applications", json=body, headers=key)
                except httpx.TransportError as error:
                    if isinstance(error, MAYBE_DONE):
                        stream.answers_lost.add(number)
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
    """A stream's history as users and the topics tell it. `made` are the applications its submissions made, as
    the submitted events show them: one per submission, whether its client saw the 202 or not."""

    submitted: int
    accepted: int  # submissions answered 202
    answers_lost: int  # submissions with a request whose answer never came
    refused: int
    made: int
    duplicates: int  # applications beyond the first of a submission
    undecided: int  # applications made that never reached a decision and its email: lost
    decisions_per_application: Counter
    emails_per_application: Counter  # SMTP deliveries
    notices_per_application: Counter  # distinct Message-IDs: the emails the applicant's mail client shows
    published_twice: list[str]  # '<topic> <event type> <event id>' of each decision or email-sent event published again

    @property
    def duplicate_records(self) -> int:
        return len(self.published_twice)
    dead_letters: int

    @property
    def decided(self) -> int:
        return self.made - self.undecided

    def line(self, scenario: str) -> str:
        extra_decisions = sum(n - 1 for n in self.decisions_per_application.values() if n > 1)
        line = (f"[{scenario}] submitted={self.submitted} accepted={self.accepted} decided={self.decided} "
                f"duplicates={self.duplicates} lost={self.undecided} answers_lost={self.answers_lost} "
                f"refused={self.refused} emails={sum(self.notices_per_application.values())} "
                f"duplicate_decisions={extra_decisions} duplicate_emails={self.resent_emails} "
                f"redelivered_records={self.duplicate_records} dead_letters={self.dead_letters}")
        return report(line)

    @property
    def resent_emails(self) -> int:
        """SMTP deliveries beyond the first of a notice: the same email, same Message-ID, sent again."""
        return sum(n - 1 for n in self.emails_per_application.values() if n > 1)

    def assert_invariants(self, resent_emails_allowed: int = 0) -> None:
        assert self.duplicates == 0, "one application per submission, however often its request was retried"
        assert self.made >= self.accepted, "every 202 stands for an application"
        assert self.undecided == 0, "every application made reaches a decision and its email"
        assert set(self.decisions_per_application.values()) == {1}, "exactly one decision each"
        assert set(self.notices_per_application.values()) == {1}, "exactly one email (Message-ID) each"
        assert self.resent_emails <= resent_emails_allowed, "no email delivered twice"


def readable_data(value: bytes) -> dict | None:
    """The data of an application-submitted event; None for a record that is none (a poison test's)."""
    try:
        data = json.loads(value).get("data")
        return data if isinstance(data, dict) and isinstance(data.get("company"), dict) else None
    except (ValueError, AttributeError):
        return None


async def made_by(system: System, stream: Stream) -> dict[int, set[str]]:
    """The applications each submission of `stream` made, from the submitted events (an event published twice
    by an outbox relay is one application)."""
    pattern = re.compile(rf"#(\d+) \[{stream.tag}\]$")
    made: dict[int, set[str]] = {}
    for record in await read_topic(system.bootstrap, APPLICATION_SUBMITTED.name):
        if (data := readable_data(record.value)) and (match := pattern.search(data["company"]["name"])):
            made.setdefault(int(match.group(1)), set()).add(data["application_id"])
    return made


def published_again(records: list) -> list[str]:
    """Each record whose event (by its id) is on its topic already."""
    seen, again = set(), []
    for record in records:
        event = json.loads(record.value)
        if (record.topic, event["id"]) in seen:
            again.append(f"{record.topic} {event.get('type', '?')} {event['id']}")
        seen.add((record.topic, event["id"]))
    return again


async def tally(system: System, stream: Stream, submitted: int, timeout: float = 120) -> Tally:
    undecided = await wait_until_decided(system, stream, timeout)
    made = await made_by(system, stream)
    ids = {application_id for applications in made.values() for application_id in applications}
    keys = {application_id.encode() for application_id in ids}
    decisions = [r for r in await read_topic(system.bootstrap, DECISION_MADE.name) if r.key in keys]
    distinct_decisions = {(r.key, json.loads(r.value)["id"]) for r in decisions}
    emails_sent = [r for r in await read_topic(system.bootstrap, EMAIL_SENT.name) if r.key in keys]
    dead = [r for topic in ALL for r in await read_topic(system.bootstrap, topic.dlq) if r.key in keys]
    deliveries = [(m["X-Application-Id"], m["Message-ID"]) for m in system.mailbox()]
    mailbox = Counter(application_id for application_id, _ in deliveries)
    notices = Counter(application_id for application_id, _ in set(deliveries))
    decided_per_application = Counter(key.decode() for key, _ in distinct_decisions)
    # The applications no client saw a 202 for are followed on the topics: a decision and an email sent.
    emailed = {r.key.decode() for r in emails_sent}
    unseen = {a for a in ids - set(stream.accepted) if not (decided_per_application[a] and a in emailed)}
    return Tally(
        submitted=submitted, accepted=len(stream.accepted), answers_lost=len(stream.answers_lost),
        refused=stream.refused, made=len(ids), duplicates=sum(len(a) - 1 for a in made.values()),
        undecided=len(undecided | (set(stream.accepted) - ids) | unseen),
        decisions_per_application=Counter({a: decided_per_application[a] for a in ids}),
        emails_per_application=Counter({a: mailbox[a] for a in ids}),
        notices_per_application=Counter({a: notices[a] for a in ids}),
        published_twice=published_again(decisions + emails_sent),
        dead_letters=len(dead),
    )
