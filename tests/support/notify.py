"""notify's own code run in a test, against the test's broker: its settings from the environment (its module
reads them when imported), an SQLite file brought to its schema, a mailbox of the test's own, and what reached it."""

from __future__ import annotations

import asyncio
import importlib
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from contracts.topics import DECISION_MADE
from infra.localnet import free_port
from infra.mailbox import read_mailbox, serve
from services.runtime import migrations
from services.runtime.broker import Kafka
from services.runtime.reactions import Reactions, on
from services.runtime.service import Runtime, runtime_for
from tests.support.kafka import start_group_at_end


def notify_module(monkeypatch, settings: dict[str, str]):
    """notify's code with these settings (its module reads them when imported)."""
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("services.notify.main", None)
    try:
        return importlib.import_module("services.notify.main")
    finally:
        sys.modules.pop("services.notify.main", None)


async def notify_with_mailbox(kafka_bootstrap: str, var_dir: Path, monkeypatch, **settings: str):
    """notify's module, with its database under `var_dir` at the latest schema, and the mailbox it sends to,
    which keeps each message in `var_dir / "mail"` (stop it when done)."""
    smtp_port = free_port()
    folder = var_dir / "mail"
    folder.mkdir()
    mailbox = serve(folder, "127.0.0.1", smtp_port)
    notify = notify_module(monkeypatch, {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "VAR_DIR": str(var_dir), "SMTP_PORT": str(smtp_port),
        "TRACES_EXPORTER": "none", **settings})
    await asyncio.to_thread(migrations.upgrade, "notify", notify.settings.db_url())
    return notify, mailbox


def sent_to(folder, application_ids: list[str]) -> list[str]:
    """The Message-IDs of the emails delivered about these applications, one entry per delivery."""
    wanted = set(application_ids)
    return [m["Message-ID"] for m in read_mailbox(folder) if m["X-Application-Id"] in wanted]


STEP_SECONDS = 60


@dataclass
class DecisionsToMail:
    """notify's decision reaction in a consumer group of the test's own, its mailbox, and a producer."""

    notify: object  # the module
    runtime: Runtime
    folder: Path
    kafka: Kafka
    run: str


@asynccontextmanager
async def decisions_to_mail(kafka_bootstrap: str, tmp_path: Path, monkeypatch,
                            **settings: str) -> AsyncIterator[DecisionsToMail]:
    """notify emailing the decisions published to `aif.routing.decision-made.v1` from now on to a mailbox, with
    these settings; the test starts its runtime, and everything stops at the end."""
    run = uuid.uuid4().hex[:8]
    async with asyncio.timeout(STEP_SECONDS):  # a hang says which step it waits in
        notify, mailbox = await notify_with_mailbox(kafka_bootstrap, tmp_path, monkeypatch, **settings)
        runtime = runtime_for(notify.settings)
        group = f"notify-test-{run}"
        await start_group_at_end(kafka_bootstrap, group, DECISION_MADE.name)  # not the decisions of earlier tests
        runtime.serve(Reactions("notify", (on(DECISION_MADE, group, notify.when_decision_made),)))
        kafka = Kafka(notify.settings)
        await kafka.start()
    try:
        yield DecisionsToMail(notify, runtime, tmp_path / "mail", kafka, run)
    finally:
        async with asyncio.timeout(STEP_SECONDS):
            await runtime.stop()
            await runtime.engine.dispose()
            await kafka.stop()
        mailbox.stop()
