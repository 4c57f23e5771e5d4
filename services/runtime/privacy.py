"""Erasure, the part every service shares: the registry of erased applications, the outbox rows about one, and
the anonymisation of contact data inside stored payloads (PRIVACY.md says what each service keeps).

An erased application's id stays in each service's registry (an id identifies no one). Every reaction asks the
registry first (`unless_erased`, applied by `reactions.on` unless an entry writes back no personal data), so an
old event delivered again, replayed from a dead-letter topic or read by intake's rebuild never writes the
person's data back.

Anonymised values are ones the contracts still accept (an address, a title of three characters or more, a
summary of twenty), so every page and reader that parses a stored payload keeps working on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ErasureRequested
from services.runtime.db import insert_ignoring_duplicates, utc_timestamp
from services.runtime.inbox import BATCH
from services.runtime.outbox import OutboxMessage

ERASED = "[erased]"
ERASED_EMAIL = "erased@erased.invalid"
ERASED_TEXT = "[erased: the applicant's personal data was erased]"
# Payload fields that hold contact data or the applicant's own words, and what takes their place.
_REPLACED: dict[str, Any] = {
    "contact_name": ERASED, "company_name": ERASED, "email": ERASED_EMAIL, "to": ERASED_EMAIL,
    "project_title": ERASED, "title": ERASED, "summary": ERASED_TEXT, "body": ERASED_TEXT, "subject": ERASED,
    "note": ERASED, "evidence": [],
}
# Objects whose 'name' is a person's or a company's (elsewhere 'name' is a factory's or an expert's).
_NAMED = ("company", "contact")
# The values whose every occurrence in free text (a timeline line, a reason) is the person's data.
_IDENTIFYING = ("contact_name", "company_name", "email", "to", "project_title", "title")


class ErasedApplication(SQLModel, table=True):
    """An application whose personal data this service erased: events about it change nothing any more."""

    __tablename__ = "erased_application"

    application_id: str = Field(primary_key=True)
    erased_at: datetime = utc_timestamp()
    requested_by: str
    reason: str


# Where a session keeps which of its batch's applications are erased, asked once.
_ERASED_IN_BATCH = "privacy.erased-in-batch"


async def erased(session: AsyncSession, application_id: str) -> bool:
    return await session.get(ErasedApplication, application_id) is not None


async def erased_in_batch(session: AsyncSession, application_id: str) -> bool:
    """`erased`, asked once for all the applications of the batch the session recorded in its inbox (one
    statement per batch: a lookup per event cost a millisecond each on SQLite, measured)."""
    info = session.sync_session.info
    batch = info.get(BATCH)
    if batch is None:  # one event alone (intake's rebuild)
        return await erased(session, application_id)
    known = info.get(_ERASED_IN_BATCH)
    if known is None or known[0] is not batch:  # not asked yet for this batch
        subjects = {envelope.subject for envelope in batch}
        ids = select(ErasedApplication.application_id).where(col(ErasedApplication.application_id).in_(subjects))
        found = set((await session.exec(ids)).all())  # type: ignore[call-overload]
        known = info[_ERASED_IN_BATCH] = (batch, subjects, found)
    _, subjects, erased_ids = known
    return application_id in erased_ids if application_id in subjects else await erased(session, application_id)


async def register(session: AsyncSession, erasure: ErasureRequested) -> None:
    """Keep the id in the registry (once, however often the erasure is delivered), and drop the service's
    outbox rows about the application: published, they are history the topics hold for their retention; not yet
    published, the person's data never leaves."""
    await session.exec(insert_ignoring_duplicates(session, ErasedApplication).values(  # type: ignore[call-overload]
        application_id=erasure.application_id, erased_at=erasure.requested_at, requested_by=erasure.requested_by,
        reason=erasure.reason))
    about_it = delete(OutboxMessage).where(col(OutboxMessage.key) == erasure.application_id)
    await session.exec(about_it)  # type: ignore[call-overload]


Reaction = Callable[[Any, Envelope], Awaitable[None]]


def unless_erased(react: Reaction) -> Reaction:
    """`react`, except for an event about an erased application, which is taken and does nothing."""

    async def reaction(tx: Any, envelope: Envelope) -> None:
        if not await erased_in_batch(tx.session, envelope.subject):
            await react(tx, envelope)

    reaction.__name__ = reaction.__qualname__ = getattr(react, "__name__", "reaction")
    reaction.__doc__ = react.__doc__
    return reaction


def anonymised(value: Any) -> Any:
    """A payload (parsed JSON) with its contact data and the applicant's words replaced."""
    if isinstance(value, list):
        return [anonymised(item) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if key in _REPLACED and item is not None:
            result[key] = _REPLACED[key]
        elif key in _NAMED and isinstance(item, dict):
            result[key] = {**anonymised(item), **({"name": ERASED} if "name" in item else {})}
        else:
            result[key] = anonymised(item)
    return result


def anonymised_json(text: str | None) -> str | None:
    return None if text is None else json.dumps(anonymised(json.loads(text)))


def anonymised_envelope(text: str) -> str:
    """An envelope (JSON) with its payload anonymised; its attributes (ids, subject, times) stay."""
    envelope = json.loads(text)
    return json.dumps({**envelope, "data": anonymised(envelope.get("data"))})


def identifying(*payloads: str | None) -> set[str]:
    """The names, addresses and title found in stored payloads (JSON), to find again in free text."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str) and key in _IDENTIFYING:
                    found.add(item)
                elif key in _NAMED and isinstance(item, dict) and isinstance(item.get("name"), str):
                    found.add(item["name"])
                walk(item)

    for payload in payloads:
        if payload:
            walk(json.loads(payload))
    return {value for value in found if value.strip() and value not in (ERASED, ERASED_EMAIL)}



def redacted(text: str | None, known: Iterable[str]) -> str | None:
    """Free text with every occurrence of the `known` values (any case) replaced."""
    if not text:
        return text
    for value in sorted(known, key=len, reverse=True):
        text = re.sub(re.escape(value), ERASED, text, flags=re.IGNORECASE)
    return text


async def when_erasure_requested(tx: Any, envelope: Envelope[ErasureRequested]) -> None:
    """The reaction of a service that keeps nothing about an application but its outbox (triage)."""
    await register(tx.session, envelope.data)
