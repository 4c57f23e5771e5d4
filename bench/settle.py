"""Between phases: no phase starts while the one before is still at work somewhere. Every consumer group with a
member (the services' and the relays') must have committed up to the end of what it reads, and every running
service's outbox must be empty (no row with `published_at` still NULL; the SQLite files are read read-only)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from services.runtime.topic_reader import partitions_of

POLL_SECONDS = 0.5
SAY_EVERY_SECONDS = 5


def pending_in_outbox(database: Path) -> int:
    """Rows of the outbox not published yet; 0 for a service without a database."""
    if not database.exists():
        return 0
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        try:
            return connection.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return 0
            raise


class Settle:
    def __init__(self, bootstrap: str, databases: Callable[[], dict[str, Path]]) -> None:
        """`databases` names the SQLite file of each service running now."""
        self.bootstrap, self.databases = bootstrap, databases
        self._admin: AIOKafkaAdminClient | None = None
        self._ends: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await self._admin.start()
        self._ends = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
        await self._ends.start()

    async def stop(self) -> None:
        if self._ends:
            await self._ends.stop()
        if self._admin:
            await self._admin.close()

    async def lag(self) -> dict[str, int]:
        """Records each active group has still to commit, over every partition of the topics it commits on (a
        partition it never committed on counts from its start: the groups begin at `earliest`)."""
        assert self._admin and self._ends
        lags: dict[str, int] = {}
        for group, _ in await self._admin.list_consumer_groups():
            # One group a request: aiokafka fails to decode an answer that describes several.
            described = (await self._admin.describe_consumer_groups([group]))[0].to_object()["groups"]
            if not any(state["members"] for state in described):
                continue  # no member: the group of a process stopped (intake during the topic-fed phases)
            committed = {partition: meta.offset
                         for partition, meta in (await self._admin.list_consumer_group_offsets(group)).items()}
            topics = sorted({partition.topic for partition in committed})
            ends = await self._ends.end_offsets(await partitions_of(self._ends, topics)) if topics else {}
            lags[group] = sum(max(0, end - max(committed.get(partition, 0), 0)) for partition, end in ends.items())
        return lags

    async def committed(self, group: str) -> int:
        """Records `group` has committed, over all its partitions."""
        assert self._admin
        return sum(max(meta.offset, 0) for meta in (await self._admin.list_consumer_group_offsets(group)).values())

    def pending(self) -> dict[str, int]:
        return {service: pending_in_outbox(path) for service, path in self.databases().items()}

    async def wait(self, say: Callable[[str], None], timeout: float = 300) -> float:
        """Return once every active group's lag is 0 and every outbox is empty (saying so when it had to wait),
        or after `timeout` seconds, saying what is still pending; the seconds waited."""
        started = time.monotonic()
        last_said = 0.0
        while True:
            busy = {f"{group} lag {lag}": lag for group, lag in (await self.lag()).items() if lag}
            busy |= {f"{service} outbox {rows}": rows for service, rows in self.pending().items() if rows}
            waited = time.monotonic() - started
            if not busy:
                if waited >= POLL_SECONDS:
                    say(f"  settled after {waited:.1f} s")
                return waited
            if waited >= timeout:
                say(f"  still not settled after {timeout:.0f} s ({', '.join(busy)}): going on")
                return waited
            if time.monotonic() - last_said >= SAY_EVERY_SECONDS:
                say(f"  waiting for the last phase to settle: {', '.join(busy)}")
                last_said = time.monotonic()
            await asyncio.sleep(POLL_SECONDS)
