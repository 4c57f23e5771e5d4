"""notify's own code run in a test, against the test's broker: its settings from the environment (its module
reads them when imported), an SQLite file brought to its schema, and a mailbox of the test's own."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

from infra.localnet import free_port
from infra.mailbox import serve
from services.runtime import migrations


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
