"""Driving the running system as its users do: over HTTP, in the mailbox, on the topics."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx

from infra.mailbox import read_mailbox
from infra.localnet import free_ports
from infra.stack import SERVICES, Stack


@contextmanager
def running_system(bootstrap: str, database, var_dir: Path, name: str, *, refused_domains: tuple[str, ...] = (),
                   **env: str) -> Iterator["System"]:
    """The whole system as `make up` runs it, on free ports, in `var_dir`, each service with its own new
    database named `<name>_<service>` (`database` makes its URL), or, with `database=None`, an SQLite file of its
    own in `var_dir` as `make run` gives it; stopped at the end. The mailbox refuses recipients of
    `refused_domains` for good (550). The tests send the samples' applications many times over: the caps per
    recipient, intake's on applications and notify's on emails, are off unless `env` sets them (test_door and
    test_open_mailer test them)."""
    env = {"APPLICATIONS_PER_ADDRESS_PER_DAY": "0", "APPLICATIONS_PER_DOMAIN_PER_DAY": "0",
           "MAX_EMAILS_PER_ADDRESS": "0", "MAX_EMAILS_PER_DOMAIN": "0", **env}
    ports = free_ports(len(SERVICES) + 1)
    if database is not None:
        env = {**{f"{s.upper()}_DATABASE_URL": database(f"{name}_{s}") for s in SERVICES}, **env}
    stack = Stack(var_dir, bootstrap, dict(zip(SERVICES, ports)), smtp_port=ports[-1], env=env)
    stack.start_mailbox(refused_domains=refused_domains)
    stack.start_services()
    try:
        stack.wait_healthy(timeout=120)
        yield System(stack)
    finally:
        stack.stop_all()


@dataclass
class System:
    stack: Stack
    database: str = "postgresql"  # or "sqlite": what the services' databases are

    @property
    def intake(self) -> str:
        return self.stack.url("intake")

    @property
    def bootstrap(self) -> str:
        return self.stack.bootstrap

    async def submit(self, body: dict | bytes) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as client:
            if isinstance(body, bytes):
                return await client.post(f"{self.intake}/v1/applications", content=body,
                                         headers={"content-type": "application/json"})
            return await client.post(f"{self.intake}/v1/applications", json=body)

    async def status(self, status_url: str) -> dict:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(status_url)
            response.raise_for_status()
            return response.json()

    async def wait_until(self, status_url: str, condition, timeout: float = 30) -> dict:
        """Poll the status link, as an applicant would, until `condition(status)` holds."""
        deadline = time.monotonic() + timeout
        status = await self.status(status_url)
        while not condition(status):
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not reached in {timeout} s; last status:\n"
                                     f"{json.dumps(status, indent=2)}")
            await asyncio.sleep(0.1)
            status = await self.status(status_url)
        return status

    def mailbox(self) -> list[EmailMessage]:
        return read_mailbox(self.stack.var_dir / "mail")

    def emails_to(self, application_id: str) -> list[EmailMessage]:
        return [m for m in self.mailbox() if m["X-Application-Id"] == application_id]

    async def wait_for_emails(self, application_id: str, count: int = 1, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(emails := self.emails_to(application_id)) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return emails

    def spans(self, service: str) -> list[dict]:
        path = self.stack.var_dir / "traces" / f"{service}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    async def _count_in_intake(self, sql: str) -> int:
        from sqlalchemy.ext.asyncio import create_async_engine

        from services.runtime.db import async_url

        engine = create_async_engine(async_url(self.stack.service_env("intake")["DATABASE_URL"]))
        try:
            async with engine.connect() as connection:
                return (await connection.exec_driver_sql(sql)).scalar_one()
        finally:
            await engine.dispose()

    async def stored_applications(self) -> int:
        """How many applications intake's database holds."""
        return await self._count_in_intake("SELECT count(*) FROM application")

    async def counts(self, timeout: float = 20) -> tuple[int, int]:
        """Stored applications and submitted events, once intake's outbox has published all it holds: what a
        request half-wrote would show here, and the two figures do not move under a test."""
        from contracts.topics import APPLICATION_SUBMITTED
        from tests.support.kafka import message_count

        async with asyncio.timeout(timeout):
            while await self._count_in_intake("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                await asyncio.sleep(0.1)
        return await self.stored_applications(), await message_count(self.bootstrap, APPLICATION_SUBMITTED.name)
