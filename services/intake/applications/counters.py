"""Counting what happens per key over a sliding window, in intake's database, so that parallel requests and every
intake replica count alike: submissions per recipient address and domain (recipients.py), sign-in attempts per
account and per client address (console/auth.py).

Each key has one row per fixed window (`throttle_count`), raised by one atomic upsert: two requests at once never
read the same figure (PostgreSQL holds the row until the first commits; SQLite has one writer at a time). The
figure compared with the limit is the sliding-window estimate: the current window's count plus the previous
window's, weighted by how much of it the sliding window still covers. A limit thus holds across a window's
boundary, and a count taken within a refused transaction is rolled back with it, so a refusal costs nothing.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import now
from services.intake.models import ThrottleCount


@dataclass(frozen=True)
class Limit:
    """At most `count` per `seconds` (0: no limit)."""

    count: int
    seconds: int

    @property
    def enabled(self) -> bool:
        return self.count > 0


def fingerprint(text: str) -> str:
    """What a counter or a key keeps of personal data (an address, a key): its SHA-256."""
    return hashlib.sha256(text.encode()).hexdigest()


def estimate(previous: int, current: int, elapsed: float, window: int) -> float:
    """The sliding window's count: all of the current window's, and the share of the previous one it covers."""
    return previous * (1 - elapsed / window) + current


def wait(previous: int, current: int, elapsed: float, limit: Limit) -> float:
    """Seconds from now until one more is within `limit`, given what is counted (`current` without the one)."""
    window = limit.seconds
    if current + 1 <= limit.count:  # the previous window's share must shrink enough
        return max(0.0, window * (1 - (limit.count - 1 - current) / previous) - elapsed) if previous else 0.0
    # The current window's own figure is too high: it must become the previous window, and shrink in its turn.
    return (window - elapsed) + window * (1 - (limit.count - 1) / current)


@dataclass(frozen=True)
class Counted:
    within: bool  # whether this one is within the limit
    retry_after: int  # when it is not: seconds until one more would be


def _upsert(session: AsyncSession):
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(ThrottleCount)


async def add_one(session: AsyncSession, key: str, limit: Limit) -> Counted:
    """Count one for `key` in the caller's transaction; whether it is within `limit`. The caller rolls its
    transaction back when it is not (so the refused one is not counted)."""
    moment = time.time()
    start = int(moment // limit.seconds * limit.seconds)
    statement = _upsert(session).values(
        key=key, window_start=start, count=1,
        expires_at=datetime.fromtimestamp(start + 2 * limit.seconds, UTC))  # the next window still reads it
    statement = statement.on_conflict_do_update(
        index_elements=[ThrottleCount.key, ThrottleCount.window_start],
        set_={"count": ThrottleCount.count + 1}).returning(ThrottleCount.count)
    current = (await session.exec(statement)).scalar_one()  # type: ignore[call-overload]
    previous = (await session.exec(select(ThrottleCount.count).where(  # type: ignore[call-overload]
        ThrottleCount.key == key, ThrottleCount.window_start == start - limit.seconds))).first() or 0
    elapsed = moment - start
    if estimate(previous, current, elapsed, limit.seconds) <= limit.count:
        return Counted(True, 0)
    return Counted(False, max(1, math.ceil(wait(previous, current - 1, elapsed, limit))))


async def take_back(session: AsyncSession, key: str, limit: Limit) -> None:
    """Uncount one counted for `key` in this window (a sign-in that succeeded: only failures count)."""
    start = int(time.time() // limit.seconds * limit.seconds)
    await session.exec(update(ThrottleCount).where(  # type: ignore[call-overload]
        col(ThrottleCount.key) == key, col(ThrottleCount.window_start) == start, col(ThrottleCount.count) > 0,
    ).values(count=ThrottleCount.count - 1))


async def forget_expired(session: AsyncSession) -> None:
    """Drop the windows no estimate reads any more."""
    await session.exec(delete(ThrottleCount).where(col(ThrottleCount.expires_at) < now()))  # type: ignore[call-overload]
