"""The durable relay: the bare relay's loop (bench/relay.py) with what a service cannot leave out, so that the
pipeline's distance to it is the cost of the services' runtime, not of their domain work or of durability.

    python -m bench.durable --bootstrap HOST:PORT --source TOPIC --sink TOPIC --hop N --db FILE
                            [--policy FILE] [--smtp-port PORT]

Each batch a poll returns (200 records at most, as the services take them) is handled in one SQLite transaction
(WAL, synchronous=NORMAL, as the services' files):
1. the envelopes are decoded, and those whose event id the inbox already holds are left out;
2. each goes to the domain function its service calls: triage's scoring with the policy and the classifier's
   layers (hop 1), routing's decision (hop 2), notify's email in the applicant's language (hop 3), sent over one
   SMTP session kept open to the mailbox the services use; the result, in an envelope, is the next event;
3. the batch's event ids go into the inbox and the next events into the outbox, with the mark of the previous
   batch's events as published, and the transaction commits;
4. the events are published, every acknowledgement awaited (acks=all, idempotence), then the offsets committed.
"""

from __future__ import annotations

import asyncio
import smtplib
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from email.header import Header
from email.utils import formatdate
from pathlib import Path

from aiokafka import ConsumerRecord
from pydantic import BaseModel

from bench.relay import Outgoing, relay, relay_arguments
from contracts import reference as reference_data
from contracts.envelope import SPEC_VERSION, Envelope, derived_event_id, now
from contracts.events import EmailSent
from contracts.topics import APPLICATION_SCORED, APPLICATION_SUBMITTED, DECISION_MADE, EMAIL_SENT, Topic

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (event_id TEXT PRIMARY KEY, event_type TEXT NOT NULL, processed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, topic TEXT NOT NULL,
    key TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL, published_at TEXT);
"""
BATCH_MAX_RECORDS = 200  # as the services' batches (the default of their BATCH_MAX_RECORDS setting)
SENDER = "one-stop-shop@aifactory.lu"
CONTENT_TYPE = ("content-type", b"application/cloudevents+json")
React = Callable[[list[Envelope]], Awaitable[list[BaseModel]]]


class Store:
    """The hop's inbox and outbox in one SQLite file, written once per batch."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(SCHEMA)
        self._published: list[tuple[str, str]] = []  # (time, event id) of the last batch, sent since

    def begin(self, event_ids: list[str]) -> set[str]:
        """Open the batch's transaction; the event ids among `event_ids` that were handled before."""
        self.db.execute("BEGIN IMMEDIATE")
        marks = ",".join("?" * len(event_ids))
        return {row[0] for row in self.db.execute(f"SELECT event_id FROM inbox WHERE event_id IN ({marks})",
                                                  event_ids)}

    def commit(self, taken: list[Envelope], outgoing: list[tuple[Topic, Envelope, str]]) -> None:
        at = now().isoformat()
        self.db.executemany("INSERT INTO inbox VALUES (?, ?, ?)", [(e.id, e.type, at) for e in taken])
        self.db.executemany("INSERT INTO outbox (event_id, topic, key, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                            [(e.id, topic.name, e.subject, payload, at) for topic, e, payload in outgoing])
        self.db.executemany("UPDATE outbox SET published_at = ? WHERE event_id = ?", self._published)
        self.db.execute("COMMIT")
        # The relay's loop sends them and awaits their acknowledgements before it hands over the next batch.
        self._published = [(at, e.id) for _, e, _ in outgoing]

    def rollback(self) -> None:
        self.db.execute("ROLLBACK")


def next_event(cause: Envelope, topic: Topic, envelope_class: type[Envelope], data: BaseModel,
               service: str) -> Envelope:
    """The event `cause` led to, with the id a redelivery of `cause` would give it again."""
    return envelope_class(
        id=derived_event_id(cause.id, topic.event_type), source=f"/aiguillage/{service}", type=topic.event_type,
        specversion=SPEC_VERSION, time=now(), subject=cause.subject, dataschema=topic.dataschema,
        correlationid=cause.correlationid, causationid=cause.id, data=data)


class Mailbox:
    """One SMTP session kept open, used from one thread of its own (smtplib blocks); one MAIL, RCPT and DATA per
    email. A session the server closed is opened again."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self._smtp: smtplib.SMTP | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="smtp")

    async def send(self, emails: list[tuple[str, bytes]]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._send_all, emails)

    def _send_all(self, emails: list[tuple[str, bytes]]) -> None:
        for to, data in emails:
            try:
                self._session().sendmail(SENDER, [to], data, mail_options=["BODY=8BITMIME"])
            except smtplib.SMTPServerDisconnected:
                self._smtp = None
                self._session().sendmail(SENDER, [to], data, mail_options=["BODY=8BITMIME"])

    def _session(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = smtplib.SMTP(self.host, self.port, timeout=10)
        return self._smtp


def email_bytes(to: str, subject: str, body: str, language: str, message_id: str) -> bytes:
    """The email's bytes: a UTF-8 text sent as 8 bits, the subject in RFC 2047 words when it is not ASCII."""
    subject = subject if subject.isascii() else Header(subject, "utf-8").encode(linesep="\r\n")
    head = (f"From: Luxembourg AI Factory <{SENDER}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id}\r\nDate: {formatdate(usegmt=True)}\r\n"
            f"Content-Language: {language}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
    return head.encode("ascii") + body.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8") + b"\r\n"


def triage(policy_file: Path | None) -> React:
    from services.triage.classify import Layers
    from services.triage.handlers import when_application_submitted_score_it
    from services.triage.policy import DEFAULT_POLICY, load_policy

    reference, policy = reference_data.load(), load_policy(policy_file or DEFAULT_POLICY)
    layers = Layers(policy)
    print(f"triage's classifier: {layers.load()}", flush=True)

    async def score(envelopes: list[Envelope]) -> list[BaseModel]:
        scored = []
        for envelope in envelopes:
            scored.append(when_application_submitted_score_it(envelope.data, reference, policy, layers.semantic))
            await asyncio.sleep(0)  # the consumer's heartbeats go on while a batch is scored
        return scored

    return score


def routing() -> React:
    from services.routing.handlers import load_policy, when_application_scored_decide_route

    reference, policy = reference_data.load(), load_policy()

    async def decide(envelopes: list[Envelope]) -> list[BaseModel]:
        return [when_application_scored_decide_route(envelope.data, reference, policy) for envelope in envelopes]

    return decide


def notify(smtp_port: int) -> React:
    from services.notify.render import decision_kind, render_decision

    reference, mailbox = reference_data.load(), Mailbox(smtp_port)

    async def send(envelopes: list[Envelope]) -> list[BaseModel]:
        sent, emails = [], []
        for envelope in envelopes:
            decision = envelope.data
            email, kind = render_decision(decision, reference), decision_kind(decision)
            message_id = f"<{derived_event_id(decision.application_id, kind)}@aiguillage>"
            emails.append((email.to, email_bytes(email.to, email.subject, email.body, email.language, message_id)))
            sent.append(EmailSent(application_id=decision.application_id, notice_kind=kind, to=email.to,
                                  language=email.language, subject=email.subject, message_id=message_id,
                                  sent_at=now()))
        await mailbox.send(emails)
        return sent

    return send


# Each hop: the service it stands for, the topic it reads (for its payload), the topic it writes.
HOPS = {1: ("triage", APPLICATION_SUBMITTED, APPLICATION_SCORED), 2: ("routing", APPLICATION_SCORED, DECISION_MADE),
        3: ("notify", DECISION_MADE, EMAIL_SENT)}


def durable(store: Store, hop: int, react: React) -> Callable[[list[ConsumerRecord]], Awaitable[Outgoing]]:
    service, reads, writes = HOPS[hop]
    # Built once: pydantic keeps its generic classes only weakly, and building one per event costs.
    reading, writing = Envelope[reads.payload], Envelope[writes.payload]  # type: ignore[valid-type,name-defined]

    async def handle(records: list[ConsumerRecord]) -> Outgoing:
        envelopes = [reading.model_validate_json(record.value) for record in records]
        handled = store.begin([envelope.id for envelope in envelopes])
        try:
            taken = list({e.id: e for e in envelopes if e.id not in handled}.values())
            events = [next_event(cause, writes, writing, data, service)
                      for cause, data in zip(taken, await react(taken))]
            outgoing = [(writes, event, event.model_dump_json()) for event in events]
            store.commit(taken, outgoing)
        except BaseException:
            store.rollback()
            raise
        return [(event.subject.encode(), payload.encode(), [CONTENT_TYPE]) for _, event, payload in outgoing]

    return handle


def main() -> None:
    parser = relay_arguments(__doc__.splitlines()[0], sorted(HOPS))
    parser.add_argument("--db", type=Path, required=True, help="the hop's SQLite file")
    parser.add_argument("--policy", type=Path, help="triage's policy file (hop 1; default: triage's own)")
    parser.add_argument("--smtp-port", type=int, default=8025, help="the mailbox (hop 3)")
    args = parser.parse_args()
    react = {1: lambda: triage(args.policy), 2: routing, 3: lambda: notify(args.smtp_port)}[args.hop]()
    asyncio.run(relay(args.bootstrap, args.source, args.sink, f"bench.durable.{args.hop}",
                      durable(Store(args.db), args.hop, react), max_records=BATCH_MAX_RECORDS))


if __name__ == "__main__":
    main()
