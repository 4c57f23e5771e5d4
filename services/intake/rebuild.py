"""Rebuild intake's read model from the topics, into an empty database: the applications, their timelines, the
offers kept for the bridge and the journey records, so the console's indicators come out as before.

    python -m services.intake.rebuild --database-url URL [--bootstrap HOST:PORT]

The database is brought to intake's latest schema first and must hold no application. Every topic intake's
read model stands on is read from its beginning to its end as found at the start (no consumer group, so the
running intake is not disturbed), the submitted applications first, then every other event in the order of its
time. Each event goes through the reaction the running service gives it (the one table of reactions.py) and
through the inbox, as the running service does it.

What the topics do not carry stays behind: the secret of each status link (only its hash was ever kept, and it is
not on any topic), so the applicants' links do not open on a rebuilt database; the staff accounts; the signed
bridge requests. Events about applications the topics never announced are counted and skipped, as the running
service dead-letters them. On a cluster with authentication, KAFKA_USERNAME and KAFKA_PASSWORD name a user that
may read these topics (the admin user: intake itself does not read the submitted topic).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import select

from contracts.envelope import Envelope
from contracts.events import ApplicationSubmitted
from contracts.topics import APPLICATION_SUBMITTED, REFERRALS_INCOMING, by_name
from services.intake.models import ApplicationRecord
from services.intake.reactions import SERVICE, reactions
from services.intake.take_in import keep
from services.runtime import db, migrations, settings as settings_module
from services.runtime.inbox import first_delivery
from services.runtime.partners import PartnerKeys
from services.runtime.reactions import Reaction, Tx
from services.runtime.topic_reader import read_topics


async def taken_in(tx: Tx, envelope: Envelope[ApplicationSubmitted]) -> None:
    """The application as intake took it in; its event is on its topic already, so nothing is published again."""
    keep(tx, envelope, "Application received (rebuilt from the topics)")


def replayed() -> dict[str, Reaction]:
    """Topic name -> reaction: the service's own table, the applications taken in from their submitted events.
    A partner's referral became such an event when intake took it in, so the referrals are not read again (and
    no partner's key is needed)."""
    table = {topic.name: entry.react for entry in reactions(PartnerKeys({})) for topic in entry.topics
             if topic.name != REFERRALS_INCOMING.name}
    return {APPLICATION_SUBMITTED.name: taken_in, **table}


def no_print(_line: str) -> None:
    pass


async def rebuild(bootstrap: str, database_url: str, say: Callable[[str], None] = no_print,
                  **client_options) -> Counter:
    """Fill the empty database at `database_url` from the topics; returns the events taken and skipped, per
    topic ('<topic>' and '<topic> skipped')."""
    await asyncio.to_thread(migrations.upgrade, SERVICE, database_url)
    engine = db.make_engine(database_url)
    sessions = db.sessions(engine)
    try:
        async with sessions() as session:
            if held := (await session.exec(select(func.count()).select_from(ApplicationRecord))).one():
                raise SystemExit(f"the database holds {held} applications: rebuild into an empty database")
        table = replayed()
        say(f"reading {len(table)} topics from {bootstrap} ...")
        records = await read_topics(bootstrap, list(table), **client_options)
        events = []
        counts: Counter = Counter()
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
                        await table[topic.name](Tx(SERVICE, session), envelope)
                        await session.commit()
                counts[topic.name] += 1
            except LookupError:
                counts[f"{topic.name} skipped"] += 1  # about an application the topics never announced
            if number % 500 == 0 or number == len(events):
                say(f"  {number} of {len(events)} events")
        return counts
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.intake.rebuild", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="the empty database to fill (SQLAlchemy URL)")
    settings = settings_module.load(SERVICE)
    parser.add_argument("--bootstrap", default=settings.kafka_bootstrap_servers,
                        help="default: KAFKA_BOOTSTRAP_SERVERS")
    args = parser.parse_args(argv)
    sasl = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": settings.kafka_username,
            "sasl_plain_password": settings.kafka_password} if settings.kafka_username else {}
    counts = asyncio.run(rebuild(args.bootstrap, args.database_url, print, **sasl))
    for name, count in sorted(counts.items()):
        print(f"{count:7d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
