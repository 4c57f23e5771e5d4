"""Decisions in the order routing made them, and referral steps in the order of their time, in intake's read
model: one older than what the application shows (a dead letter replayed after a staff override, or after the
partner's answer) lands in the timeline at its time, and changes nothing else; the read model comes out the same
whichever order the events arrive in, so a rebuild from the topics (which takes them in the order of their time)
gives what the running service shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from contracts.events import DecisionMade, ReferralUpdated
from contracts.topics import DECISION_MADE, REFERRAL_UPDATED
from infra import samples
from services.intake.applications.take_in import take_in
from services.intake.models import ApplicationRecord, TimelineEntry
from services.intake.read_model import updates
from services.runtime.telemetry import metrics_registry
from tests.support.intake_db import event_about, intake_tables, submit, tx
from tests.unit.test_overrides import applicant, routing_decided

MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)


def stale_count() -> float:
    return metrics_registry().get_sample_value("aiguillage_stale_events_total",
                                              {"service": "intake", "type": DECISION_MADE.event_type}) or 0


REACTIONS = {DECISION_MADE.event_type: updates.when_decision_made,
             REFERRAL_UPDATED.event_type: updates.when_referral_updated}


async def read_model(directory, submitted, events) -> tuple[tuple, list[tuple]]:
    """The application's row and timeline once intake has taken in `submitted` and then `events`, in that order."""
    directory.mkdir()
    async with intake_tables(directory) as sessions:
        async with sessions() as session:
            take_in(tx(session), submitted, "Application received")
            for event in events:
                await REACTIONS[event.type](tx(session), event)
            await session.commit()
        async with sessions() as session:
            row = await session.get(ApplicationRecord, submitted.subject)
            timeline = (await session.exec(select(TimelineEntry).order_by(col(TimelineEntry.time)))).all()
    return ((row.decision, row.outcome, row.factory_id, row.referral_step, row.referral_factory_id,
             row.queue_status, row.status, row.updated_at), [(entry.event_id, entry.summary) for entry in timeline])


async def test_a_replayed_older_decision_changes_nothing_and_a_rebuild_gives_the_same(tmp_path):
    # Given Moselle Re's application, accepted by routing on Tuesday (decision 1), sent to review by Claire
    # Hoffmann on Wednesday (decision 2)
    async with intake_tables(tmp_path) as sessions:
        async with sessions() as session:
            moselle = await submit(session, MONDAY)
    accepted = routing_decided(moselle.data, "accept_local", "lux-aif").model_copy(update={"sequence": 1})
    reviewed = routing_decided(moselle.data, "review", None).model_copy(
        update={"sequence": 2, "decided_by": "Claire Hoffmann"})
    tuesday = event_about(moselle.subject, DECISION_MADE, accepted, MONDAY + timedelta(days=1))
    wednesday = event_about(moselle.subject, DECISION_MADE, reviewed, MONDAY + timedelta(days=2))
    dropped_before = stale_count()

    # When the running intake gets Tuesday's decision only after Wednesday's (a dead letter replayed late), and a
    # rebuild takes them in the order of their time
    live = await read_model(tmp_path / "live", moselle, [wednesday, tuesday])
    rebuilt = await read_model(tmp_path / "rebuilt", moselle, [tuesday, wednesday])

    # Then Claire Hoffmann's review stays the current decision, and both decisions are in the timeline
    (decision, outcome, factory_id, _, _, queue_status, status, _), timeline = live
    assert DecisionMade.model_validate_json(decision).decided_by == "Claire Hoffmann"
    assert (outcome, factory_id, queue_status, status) == ("review", None, "in_review", "decided")
    assert [event_id for event_id, _ in timeline] == [moselle.id, tuesday.id, wednesday.id]
    # And the late decision was counted as dropped, once
    assert stale_count() == dropped_before + 1
    # And the rebuilt read model is the same
    assert rebuilt == live


async def test_a_replayed_older_referral_step_changes_nothing_and_a_rebuild_gives_the_same(tmp_path):
    # Given Rhein Radiologie's project, forwarded to JAIF with its consent: offered on Monday, accepted on Tuesday
    async with intake_tables(tmp_path) as sessions:
        async with sessions() as session:
            rhein = await submit(session, MONDAY, samples.RHEIN_RADIOLOGIE)
    forward = event_about(rhein.subject, DECISION_MADE, routing_decided(rhein.data, "forward", "jaif").model_copy(
        update={"sequence": 1}), MONDAY)

    def step(name: str, at: datetime):
        return event_about(rhein.subject, REFERRAL_UPDATED, ReferralUpdated(
            application_id=rhein.subject, factory_id="jaif", step=name, attempt=1, reason=f"JAIF: {name}.",
            applicant=applicant(rhein.data)), at)

    offered, accepted = step("offered", MONDAY), step("accepted", MONDAY + timedelta(days=1))

    # When the running intake gets the offer only after the acceptance (a dead letter replayed late), and a
    # rebuild takes them in the order of their time
    live = await read_model(tmp_path / "live", rhein, [forward, accepted, offered])
    rebuilt = await read_model(tmp_path / "rebuilt", rhein, [forward, offered, accepted])

    # Then the application stands accepted by JAIF, not 'offered to a partner' again; the rebuild says the same
    (_, outcome, factory_id, step_shown, step_factory, queue_status, _, _), timeline = live
    assert (outcome, factory_id, step_shown, step_factory, queue_status) == ("forward", "jaif", "accepted", "jaif",
                                                                             "decided")
    assert [event_id for event_id, _ in timeline] == [rhein.id, forward.id, offered.id, accepted.id]
    assert rebuilt == live


@pytest.mark.parametrize(("sequence", "applied", "older"), [
    (2, 1, False), (1, 2, True),  # numbered: a lower number is older
    (2, 2, False),  # the same decision again (a dead letter replayed): not stale, its copies are harmless
    (1, 0, False),  # the first numbered decision comes after any unnumbered one
    (0, 3, True),  # a decision from before the numbering is older than any numbered one
    (0, 0, False),  # among unnumbered decisions the last read wins, as before the numbering
])
def test_which_decision_is_older_than_the_one_applied(sequence, applied, older):
    decision = DecisionMade(application_id="CRUNCHY-ARMCHAIR", outcome="review", reasons=[], policy_version="p",
                            decided_by="routing", consent_to_share=False, sequence=sequence,
                            applicant={"company_name": "Crunchy Armchair", "contact_name": "Ada Armchair",
                                       "email": "ada@crunchy-armchair.example", "language": "en",
                                       "project_title": "Chairs"})
    assert decision.is_older_than(applied) is older
