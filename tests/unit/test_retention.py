"""Retention, on intake's tables with backdated rows: each kind of application is kept as long as its rule says,
then erased through the same erasure as a request (the event staged in the outbox, the rows anonymised); the
dry run lists the same applications, with the rule, and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from contracts.events import JourneyStepRecorded
from contracts.topics import ERASURE_REQUESTED, JOURNEY_STEP_RECORDED
from infra import samples
from services.intake import retention
from services.intake.models import ApplicationRecord
from services.intake.read_model import updates
from services.runtime.outbox import OutboxMessage
from tests.support.intake_db import event_about, intake_tables, submit, tx
from tests.unit.test_indicators import applicant, decided

NOW = datetime(2027, 12, 1, 9, 0, tzinfo=UTC)
SETTINGS = retention.RetentionSettings(declined_days=365, forwarded_days=365, review_days=730, undecided_days=365,
                                       accepted_days=5 * 365)


async def closed_journey(session, submitted, on: datetime) -> None:
    """The expert records the project's completion at `on`."""
    data = submitted.data
    record = JourneyStepRecorded(application_id=data.application_id, record="step", step="completed", on=on.date(),
                                 expert_id="sofia-rossi", recorded_by="Sofia Rossi", staff_username="srossi",
                                 recorded_at=on, applicant=applicant(data))
    await updates.when_journey_step_recorded(tx(session), event_about(data.application_id, JOURNEY_STEP_RECORDED,
                                                                      record, on))


async def backdated(session) -> dict[str, str]:
    """Applications of every kind, at the ages the test needs; name -> application id."""
    made = {}
    for name, submitted_at, outcome, factory in (
            ("declined 13 months ago", NOW - timedelta(days=400), "decline", None),
            ("declined 11 months ago", NOW - timedelta(days=335), "decline", None),
            ("forwarded 2 years ago", NOW - timedelta(days=730), "forward", "jaif"),
            ("in review for a year", NOW - timedelta(days=365), "review", None),
            ("accepted, journey under way", NOW - timedelta(days=3000), "accept_local", "lux-aif"),
            ("accepted, completed 6 years ago", NOW - timedelta(days=2600), "accept_local", "lux-aif"),
            ("never decided, 400 days", NOW - timedelta(days=400), None, None)):
        event = await submit(session, submitted_at, samples.MOSELLE_RE)
        if outcome:
            await decided(session, event, outcome, factory, after=timedelta(minutes=1))
        if name == "accepted, completed 6 years ago":
            await closed_journey(session, event, NOW - timedelta(days=6 * 365))
        made[name] = event.data.application_id
    await session.commit()
    return made


async def test_each_kind_is_kept_as_long_as_its_rule_then_listed_with_why(tmp_path):
    async with intake_tables(tmp_path) as sessions:
        async with sessions() as session:
            made = await backdated(session)
        # When the dry run looks at them
        async with sessions() as session:
            due = {item.application_id: item.reason for item in await retention.due(session, SETTINGS, NOW)}

    # Then exactly those past their time are listed, each with its rule
    names = {application_id: name for name, application_id in made.items()}
    assert sorted(names[application_id] for application_id in due) == [
        "accepted, completed 6 years ago", "declined 13 months ago", "forwarded 2 years ago",
        "never decided, 400 days"]
    assert due[made["declined 13 months ago"]].startswith("retention: declined on ")
    assert due[made["declined 13 months ago"]].endswith("kept 365 days")
    assert "accepted, journey closed" in due[made["accepted, completed 6 years ago"]]


async def test_what_is_due_is_erased_once_through_the_erasure_event(tmp_path):
    async with intake_tables(tmp_path) as sessions:
        async with sessions() as session:
            made = await backdated(session)

        # When the retention runs, twice
        erased = await retention.erase_due(sessions, SETTINGS, NOW)
        again = await retention.erase_due(sessions, SETTINGS, NOW)

        async with sessions() as session:
            events = [json.loads(row.payload) for row in (await session.exec(
                select(OutboxMessage).where(OutboxMessage.topic == ERASURE_REQUESTED.name))).all()]
            declined = await session.get(ApplicationRecord, made["declined 13 months ago"])
            kept = await session.get(ApplicationRecord, made["declined 11 months ago"])

    # Then each application due has one erasure event, in the name of the retention, with its rule
    assert len(erased) == 4 and again == []
    assert sorted(event["subject"] for event in events) == sorted(item.application_id for item in erased)
    assert {event["data"]["requested_by"] for event in events} == {"retention"}
    # And its data is anonymised, its decision kept for the counts; the younger one is untouched
    assert samples.MOSELLE_RE.body["contact"]["email"] not in declined.submitted
    assert json.loads(declined.decision)["outcome"] == "decline"
    assert samples.MOSELLE_RE.body["contact"]["email"] in kept.submitted
