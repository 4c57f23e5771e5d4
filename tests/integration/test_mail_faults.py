"""notify against a real SMTP server (aiosmtpd) with a policy, a real broker and database: a relay refusing our
credentials (535) is an outage of ours, which dead-letters nothing while it lasts; a greylisted recipient (451
once, accepted a few seconds later) gets the email; a mailbox that defers for longer than the bound ends in the
dead-letter topic, named by the reply codes and not the address, and blocks no one behind it."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import subprocess
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from contracts.topics import DECISION_MADE
from infra.localnet import free_port
from infra.mailbox import SaveToFolder
from services.runtime import dead_letter, migrations
from services.runtime.broker import CONTENT_TYPE, Kafka
from services.runtime.reactions import Reactions, on
from services.runtime.service import runtime_for
from services.runtime.settings import Settings
from tests.integration.test_notify_batches import decision
from tests.support.notify import notify_module, sent_to
from tests.integration.test_outages import dead_letters as dead_letters_of, eventually
from tests.support.kafka import start_group_at
from tests.support.runtime import running

GREYLIST_SECONDS = 3.0


class Relay(SaveToFolder):
    """The local mailbox with a relay's policy: our credentials refused until `accepting`; a recipient greylisted
    (451 until GREYLIST_SECONDS after its first try); a recipient whose mailbox defers every email (451)."""

    def __init__(self, folder: Path, *, greylisted: str = "", deferring: str = "") -> None:
        super().__init__(folder)
        self.accepting, self.greylisted, self.deferring = True, greylisted, deferring
        self.first_try: dict[str, float] = {}

    def authenticate(self, _server, _session, _envelope, _mechanism, _credentials) -> AuthResult:
        return AuthResult(success=self.accepting, handled=False)  # handled=False: the server answers 535

    async def handle_RCPT(self, server, session, envelope, address: str, options) -> str:
        first = self.first_try.setdefault(address, time.monotonic())
        if address == self.deferring or (address == self.greylisted
                                         and time.monotonic() - first < GREYLIST_SECONDS):
            return f"451 4.7.1 <{address}>: Recipient address rejected: Greylisted, try again later"
        return await super().handle_RCPT(server, session, envelope, address, options)


def tls_context(folder: Path) -> ssl.SSLContext:
    """A server certificate of its own for STARTTLS (notify does not check it: the local relay's case)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@contextlib.asynccontextmanager
async def notify_with(relay: Relay, kafka_bootstrap: str, tmp_path: Path, monkeypatch, group: str,
                      **settings: str):
    """notify's reactions, in consumer group `group`, sending through `relay` (with a password over STARTTLS)."""
    port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port, tls_context=tls_context(tmp_path),
                            authenticator=relay.authenticate)
    controller.start()
    notify = notify_module(monkeypatch, {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "VAR_DIR": str(tmp_path), "SMTP_PORT": str(port),
        "SMTP_USERNAME": "l-aif", "SMTP_PASSWORD": "rotated-yesterday", "SMTP_STARTTLS": "true",
        "TRACES_EXPORTER": "none", "RETRY_BACKOFF_SECONDS": "0.05", **settings})
    await asyncio.to_thread(migrations.upgrade, "notify", notify.settings.db_url())
    runtime = runtime_for(notify.settings)
    runtime.serve(Reactions("notify", (on(DECISION_MADE, group, notify.when_decision_made),)))
    try:
        async with running(runtime):
            yield
    finally:
        await notify.mailer.close_all()
        controller.stop()


async def in_line(kafka_bootstrap: str, tmp_path: Path, group: str, recipients: dict[str, str]) -> None:
    """A decision about each application of `recipients` (application id -> the applicant's address), on one
    partition in this order, where the consumer group `group` starts."""
    kafka = Kafka(publisher_settings(kafka_bootstrap, tmp_path))
    await kafka.start()
    try:
        written = []
        for application_id, address in recipients.items():
            envelope = decision(application_id)
            applicant = envelope.data.applicant.model_copy(update={"email": address})
            envelope = envelope.model_copy(update={
                "subject": group, "data": envelope.data.model_copy(update={"applicant": applicant})})
            written.append(await kafka.publish(envelope.model_dump_json().encode(), topic=DECISION_MADE.name,
                                               key=group.encode(), headers=[CONTENT_TYPE]))
    finally:
        await kafka.stop()
    await start_group_at(kafka_bootstrap, group, DECISION_MADE.name, written[0].partition, written[0].offset)


def publisher_settings(kafka_bootstrap: str, tmp_path: Path) -> Settings:
    return Settings(service_name="decisions", kafka_bootstrap_servers=kafka_bootstrap, var_dir=tmp_path,
                    traces_exporter="none")


async def dead_letters(kafka_bootstrap: str, application_ids: list[str]) -> list:
    return await dead_letters_of(kafka_bootstrap, application_ids, DECISION_MADE.dlq)


async def test_a_relay_refusing_our_credentials_is_an_outage_and_the_email_goes_once_they_are_fixed(
        kafka_bootstrap, tmp_path, monkeypatch):
    # Given a relay that refuses notify's password (535: rotated at the relay, not yet in notify's settings)
    relay = Relay(tmp_path / "mail")
    relay.accepting = False
    run = uuid.uuid4().hex[:8]
    application = f"LOCKED-OUT-LARK-{run}"
    await in_line(kafka_bootstrap, tmp_path, f"notify-535-{run}", {application: "anne.weber@moselle-re.example"})

    # When notify takes the decision, for a while
    async with notify_with(relay, kafka_bootstrap, tmp_path, monkeypatch, f"notify-535-{run}"):
        await asyncio.sleep(4)  # many times the retries a failing message gets
        # Then the decision is no dead letter while the relay refuses us
        assert await dead_letters(kafka_bootstrap, [application]) == []

        # And when the relay takes the credentials again, the applicant gets the email, once
        relay.accepting = True
        await eventually(lambda: sent(relay, [application]))
    assert await dead_letters(kafka_bootstrap, [application]) == []
    assert len(sent_to(relay.folder, [application])) == 1


async def sent(relay: Relay, application_ids: list[str]) -> bool:
    return bool(sent_to(relay.folder, application_ids))


async def test_a_greylisted_recipient_gets_the_email_when_the_relay_takes_it(kafka_bootstrap, tmp_path, monkeypatch):
    # Given a relay that greylists Anne's address: 451 to every try in its first 3 s
    address = "anne.weber@moselle-re.example"
    relay = Relay(tmp_path / "mail", greylisted=address)
    run = uuid.uuid4().hex[:8]
    application = f"GREY-GOOSE-{run}"
    await in_line(kafka_bootstrap, tmp_path, f"notify-greylist-{run}", {application: address})

    # When notify takes the decision
    async with notify_with(relay, kafka_bootstrap, tmp_path, monkeypatch, f"notify-greylist-{run}"):
        async def settled() -> bool:
            return await sent(relay, [application]) or bool(await dead_letters(kafka_bootstrap, [application]))

        await eventually(settled)

    # Then Anne got the email, tried again until the relay took it, and it is no dead letter
    assert await dead_letters(kafka_bootstrap, [application]) == []
    assert len(sent_to(relay.folder, [application])) == 1


async def test_a_mailbox_deferring_longer_than_the_bound_is_a_dead_letter_without_the_address(
        kafka_bootstrap, tmp_path, monkeypatch, caplog):
    # Given a relay whose mailbox for Anne defers every email (451), and notify trying an email later for 3 s
    deferring, calm = "anne.weber@moselle-re.example", "bernard.schmit@kirchberg-ai.example"
    relay = Relay(tmp_path / "mail", deferring=deferring)
    run = uuid.uuid4().hex[:8]
    stuck, behind = f"DEFERRED-DOVE-{run}", f"CALM-CAMEL-{run}"
    await in_line(kafka_bootstrap, tmp_path, f"notify-deferred-{run}", {stuck: deferring, behind: calm})

    # When notify takes both decisions, Anne's first
    async with notify_with(relay, kafka_bootstrap, tmp_path, monkeypatch, f"notify-deferred-{run}",
                           RETRY_LATER_MAX_SECONDS="3"):
        async def both_settled() -> bool:
            return bool(await dead_letters(kafka_bootstrap, [stuck])) and await sent(relay, [behind])

        await eventually(both_settled)

    # Then Anne's decision is a dead letter after its 3 s, named by the reply codes, without her address in its
    # headers or the log; and the applicant behind her got the email (in one batch with Anne's at first: one
    # Message-ID, which mail clients show once, whether it went once or twice)
    (dead,) = await dead_letters(kafka_bootstrap, [stuck, behind])
    headers = dict(dead.headers)
    assert stuck.encode() in dead.value
    assert not [value for value in headers.values() if deferring.encode() in value]
    assert caplog.records and deferring not in caplog.text
    assert b"SMTP 451 4.7.1" in headers[dead_letter.HEADER_ERROR]
    assert headers[dead_letter.HEADER_FAULT] == b"later"
    assert int(headers[dead_letter.HEADER_WAITED]) >= 3
    assert len(set(sent_to(relay.folder, [behind]))) == 1
