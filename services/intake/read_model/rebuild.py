"""Rebuild intake's read model from the topics, into an empty database: the applications, their timelines, the
offers kept for the bridge and the journey records, so the console's indicators come out as before. The command
is `python -m services.intake.rebuild` (services/intake/rebuild.py).

The database is brought to intake's latest schema first and must hold no application. Every topic intake's
read model stands on is read from its beginning to its end as found at the start (no consumer group, so the
running intake is not disturbed), the submitted applications first, then every other event in the order of its
time. Each event goes through the reaction the running service gives it (its table, services/intake/reactions.py,
given by the caller) and through the inbox, as the running service does it. Those reactions keep the decision
numbered highest and the latest referral step whatever the order (updates.py), so a dead letter the service took
late, after a newer decision, comes out here as it did there.

What the topics do not carry stays behind: the secret of each status link (only its hash was ever kept, and it is
not on any topic), so the applicants' links do not open on a rebuilt database; the staff accounts; the signed
bridge requests. Events about applications the topics never announced are counted and skipped, as the running
service dead-letters them. Nor what a topic's retention deleted: the topics with personal data keep a month
(infra/topics.py, PRIVACY.md); the rebuild says, per topic, how many records it no longer holds ('<topic>
expired'), so a partial rebuild is never a silent one.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import select

from contracts.envelope import Envelope
from contracts.events import ApplicationSubmitted
from contracts.topics import APPLICATION_SUBMITTED, REFERRALS_INCOMING, by_name
from services.intake.applications.take_in import keep
from services.intake.models import ApplicationRecord
from services.runtime import db, migrations
from services.runtime.inbox import first_delivery
from services.runtime.reactions import Reaction, Reactions, Tx
from services.runtime.topic_reader import expired, read_topics


async def taken_in(tx: Tx, envelope: Envelope[ApplicationSubmitted]) -> None:
    """The application as intake took it in; its event is on its topic already, so nothing is published again."""
    keep(tx, envelope, "Application received (rebuilt from the topics)")


def replayed(table: Reactions) -> dict[str, Reaction]:
    """Topic name -> reaction: the service's own, the applications taken in from their submitted events. A
    partner's referral became such an event when intake took it in, so the referrals are not read again."""
    read = {topic.name: entry.react for entry in table for topic in entry.topics
            if topic.name != REFERRALS_INCOMING.name}
    return {APPLICATION_SUBMITTED.name: taken_in, **read}


def no_print(_line: str) -> None:
    pass


async def rebuild(bootstrap: str, database_url: str, table: Reactions, say: Callable[[str], None] = no_print,
                  **client_options) -> Counter:
    """Fill the empty database at `database_url` from the topics, through intake's `table` of reactions; returns
    the events taken and skipped, per topic ('<topic>' and '<topic> skipped')."""
    await asyncio.to_thread(migrations.upgrade, table.service, database_url)
    engine = db.make_engine(database_url)
    sessions = db.sessions(engine)
    try:
        async with sessions() as session:
            if held := (await session.exec(select(func.count()).select_from(ApplicationRecord))).one():
                raise SystemExit(f"the database holds {held} applications: rebuild into an empty database")
        reaction_to = replayed(table)
        say(f"reading {len(reaction_to)} topics from {bootstrap} ...")
        records = await read_topics(bootstrap, list(reaction_to), **client_options)
        events = []
        counts: Counter = Counter()
        for name, gone in (await expired(bootstrap, list(reaction_to), **client_options)).items():
            if gone:  # never silently partial: a topic's retention took its oldest records (infra/topics.py)
                counts[f"{name} expired"] = gone
                say(f"warning: {name} no longer holds its first {gone} records (its retention deleted them): what "
                    "they said is not rebuilt")
        for record in records:
            topic = by_name(record.topic)
            try:
                events.append((topic, Envelope[topic.payload].model_validate_json(record.value)))
            except ValidationError:
                counts[f"{topic.name} skipped"] += 1  # a poison message: the service dead-lettered it too
        # The applications first, then the events about them in the order they happened.
        events.sort(key=lambda item: (item[0].name != APPLICATION_SUBMITTED.name, item[1].time))
        for number, (topic, envelope) in enumerate(events, start=1):
            try:
                async with sessions() as session:
                    if await first_delivery(session, envelope):
                        await reaction_to[topic.name](Tx(table.service, session), envelope)
                        await session.commit()
                counts[topic.name] += 1
            except LookupError:
                counts[f"{topic.name} skipped"] += 1  # about an application the topics never announced
            if number % 500 == 0 or number == len(events):
                say(f"  {number} of {len(events)} events")
        return counts
    finally:
        await engine.dispose()
