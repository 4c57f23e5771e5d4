"""The rules of the journey, as stories: Sofia Rossi, the L-AIF expert of Moselle Re (a Luxembourg reinsurer that
wants fraud detection on its claims), records where its project stands, one step at a time; the console refuses
what cannot follow, naming the field and saying why, and the folded journey shows where the project stands."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.events import Applicant, JourneyStepRecorded
from services.intake.journey.steps import EXIT_REASONS, Journey, fold, refusal

TODAY = date(2026, 12, 20)
MOSELLE_RE = Applicant(company_name="Moselle Re", contact_name="Anne Weber", email="anne.weber@moselle-re.example",
                       language="fr", project_title="Détection de fraude dans les sinistres de réassurance")
IN_ORDER = "steps are recorded in order. To go back to an earlier step, record a correction."


def recorded(record: str, step: str | None, on: date, **fields) -> JourneyStepRecorded:
    """A record Sofia Rossi makes about Moselle Re's project."""
    return JourneyStepRecorded(
        application_id="app-moselle-re", record=record, step=step, on=on, expert_id="sofia-rossi",
        recorded_by="Sofia Rossi", staff_username="srossi",
        recorded_at=datetime(on.year, on.month, on.day, 16, 0, tzinfo=UTC), applicant=MOSELLE_RE, **fields)


def step(name: str, on: date, **fields) -> JourneyStepRecorded:
    return recorded("step", name, on, **fields)


def accepted_in_turn(*records: JourneyStepRecorded) -> Journey:
    """The journey after the records, each of which the console accepted when it was made."""
    history: list[tuple[str, JourneyStepRecorded]] = []
    for number, record in enumerate(records, 1):
        assert refusal(fold(history), record, TODAY) is None, f"record {number} ({record.record} {record.step})"
        history.append((f"rec-{number}", record))
    return fold(history)


def up_to_funding() -> list[JourneyStepRecorded]:
    """Moselle Re's project from training to funding, with the two providers confirmed at matching."""
    return [step("training", date(2026, 9, 8)), step("assessment", date(2026, 9, 15)),
            step("matching", date(2026, 9, 29), providers=["sample-ledgerlight", "sample-moselle-lingua"]),
            step("funding", date(2026, 10, 20))]


def test_a_new_journey_starts_with_training_and_nothing_else():
    # Given Moselle Re, just accepted: nothing recorded yet
    journey = fold([])
    assert (journey.current, journey.next_step, journey.closed) == (None, "training", False)
    # When Sofia Rossi records the assessment first, it is refused: training comes first
    assert refusal(journey, step("assessment", date(2026, 9, 8)), TODAY) == (
        "step", f"The next step is Training: {IN_ORDER}")
    # When she records training, it is taken, and the project stands at training with assessment next
    journey = accepted_in_turn(step("training", date(2026, 9, 8)))
    assert (journey.current, journey.next_step) == ("training", "assessment")
    assert [(r.step, r.on, r.record_id) for r in journey.reached] == [("training", date(2026, 9, 8), "rec-1")]


def test_skipping_from_training_to_funding_is_refused_naming_the_assessment_and_pointing_to_a_correction():
    # Given Moselle Re at training
    journey = accepted_in_turn(step("training", date(2026, 9, 8)))
    # When Sofia Rossi records funding straight away
    refused = refusal(journey, step("funding", date(2026, 9, 20)), TODAY)
    # Then the step field is refused: the next step is the assessment, and going back is a correction
    assert refused == ("step", f"The next step is Assessment: {IN_ORDER}")


def test_recording_training_twice_is_refused():
    journey = accepted_in_turn(step("training", date(2026, 9, 8)))
    assert refusal(journey, step("training", date(2026, 9, 9)), TODAY) == (
        "step", f"The next step is Assessment: {IN_ORDER}")


def test_an_earlier_step_is_refused_as_a_step_the_expert_is_told_to_record_a_correction():
    journey = accepted_in_turn(*up_to_funding())
    assert refusal(journey, step("assessment", date(2026, 10, 21)), TODAY) == (
        "step", f"The next step is PoC or sandbox on the supercomputer: {IN_ORDER}")


def test_a_date_in_the_future_is_refused_and_today_is_taken():
    # Given Moselle Re at training, on 20 December 2026
    journey = accepted_in_turn(step("training", date(2026, 9, 8)))
    # When Sofia Rossi dates the assessment tomorrow, the date is refused
    assert refusal(journey, step("assessment", date(2026, 12, 21)), TODAY) == (
        "on", "The date cannot be in the future.")
    # And dated today, it is taken
    assert refusal(journey, step("assessment", TODAY), TODAY) is None


def test_a_future_date_is_refused_for_the_very_first_step_too():
    assert refusal(fold([]), step("training", date(2027, 1, 4)), TODAY) == ("on", "The date cannot be in the future.")


def test_a_date_before_the_last_steps_date_is_refused_naming_that_date():
    # Given Moselle Re's assessment, reached on 15 September 2026
    journey = accepted_in_turn(step("training", date(2026, 9, 8)), step("assessment", date(2026, 9, 15)))
    # When Sofia Rossi dates the matching the day before
    refused = refusal(journey, step("matching", date(2026, 9, 14)), TODAY)
    # Then the date is refused, naming the day the last step was reached
    assert refused == ("on", "The date cannot be before 2026-09-15, when the last step was reached.")
    # And the same day as the assessment is taken
    assert refusal(journey, step("matching", date(2026, 9, 15)), TODAY) is None


def test_an_exit_dated_before_the_last_step_is_refused_naming_that_date():
    journey = accepted_in_turn(step("training", date(2026, 9, 8)), step("assessment", date(2026, 9, 15)))
    exit_ = recorded("exit", "assessment", date(2026, 9, 10), exit_reason="no_funding")
    assert refusal(journey, exit_, TODAY) == (
        "on", "The date cannot be before 2026-09-15, when the last step was reached.")


def test_a_correction_back_to_assessment_from_funding_drops_the_later_steps_and_the_providers():
    # Given Moselle Re at funding, with LedgerLight and Moselle Lingua confirmed at matching
    journey = accepted_in_turn(*up_to_funding())
    assert (journey.current, journey.providers) == ("funding", ["sample-ledgerlight", "sample-moselle-lingua"])
    # When Sofia Rossi corrects it back to the assessment: the matching was recorded for another company
    correction = recorded("correction", "assessment", date(2026, 10, 22),
                          reason="Matching and funding were recorded for another company.")
    journey = accepted_in_turn(*up_to_funding(), correction)
    # Then the project stands at the assessment again, matching next, and the providers confirmed are gone
    assert (journey.current, journey.next_step, journey.closed) == ("assessment", "matching", False)
    assert [r.step for r in journey.reached] == ["training", "assessment"]
    assert journey.providers == []
    # And the last date is the assessment's again, so matching may be recorded from that day on
    assert journey.last_date == date(2026, 9, 15)
    assert refusal(journey, step("matching", date(2026, 10, 23)), TODAY) is None


def test_a_correction_may_be_dated_before_the_last_step():
    journey = accepted_in_turn(*up_to_funding())
    correction = recorded("correction", "matching", date(2026, 10, 1), reason="Funding not granted after all.")
    assert refusal(journey, correction, TODAY) is None


def test_a_correction_back_to_matching_keeps_the_providers_but_drops_the_datasets_of_the_poc():
    # Given Moselle Re at its PoC, with the synthetic claims dataset attached
    records = [*up_to_funding(), step("poc", date(2026, 11, 3), datasets=["sample-lu-claims-synthetic"])]
    assert accepted_in_turn(*records).datasets == ["sample-lu-claims-synthetic"]
    # When Sofia Rossi corrects it back to matching
    journey = accepted_in_turn(*records, recorded("correction", "matching", date(2026, 11, 5),
                                                  reason="The funding fell through."))
    # Then the providers confirmed at matching stay, the PoC's datasets go
    assert journey.current == "matching"
    assert (journey.providers, journey.datasets) == (["sample-ledgerlight", "sample-moselle-lingua"], [])


def test_a_correction_back_before_training_leaves_the_project_accepted_with_training_next():
    journey = accepted_in_turn(step("training", date(2026, 9, 8)),
                               recorded("correction", None, date(2026, 9, 9), reason="Training was postponed."))
    assert (journey.current, journey.next_step, journey.reached) == (None, "training", [])


@pytest.mark.parametrize("to", ["funding", "poc", "completed"])
def test_a_correction_to_the_same_or_a_later_step_is_refused(to: str):
    # Given Moselle Re at funding
    journey = accepted_in_turn(*up_to_funding())
    # When Sofia Rossi "corrects" it to funding itself or to a step ahead
    correction = recorded("correction", to, date(2026, 10, 21), reason="Moving it on.")
    # Then it is refused: a correction only ever goes back
    assert refusal(journey, correction, TODAY) == (
        "step", "A correction sets the project back to an earlier step than the one it is at.")


def test_a_correction_before_anything_was_recorded_is_refused():
    correction = recorded("correction", None, date(2026, 9, 8), reason="Nothing to correct.")
    assert refusal(fold([]), correction, TODAY) == (
        "step", "A correction sets the project back to an earlier step than the one it is at.")


def test_an_exit_with_an_unknown_reason_is_refused_asking_for_one():
    # Given Moselle Re at the assessment
    journey = accepted_in_turn(step("training", date(2026, 9, 8)), step("assessment", date(2026, 9, 15)))
    # When Sofia Rossi records an exit for a reason the console does not know
    exit_ = recorded("exit", "assessment", date(2026, 9, 30), exit_reason="bankrupt")
    # Then the reason field is refused
    assert refusal(journey, exit_, TODAY) == ("exit_reason", "Choose why the project leaves the journey.")


@pytest.mark.parametrize("reason", sorted(set(EXIT_REASONS) - {"other"}))
def test_an_exit_for_a_known_reason_closes_the_journey_at_the_step_reached(reason: str):
    # Given Moselle Re at the assessment, then leaving on 30 September for a known reason
    exit_ = recorded("exit", "assessment", date(2026, 9, 30), exit_reason=reason)
    journey = accepted_in_turn(step("training", date(2026, 9, 8)), step("assessment", date(2026, 9, 15)), exit_)
    # Then the journey is closed at the assessment, nothing next, not completed
    assert (journey.current, journey.closed, journey.completed, journey.next_step) == (
        "assessment", True, False, None)
    assert (journey.exit.exit_reason, journey.exited_on) == (reason, date(2026, 9, 30))


@pytest.mark.parametrize("note", [None, "", "   "])
def test_an_exit_for_another_reason_needs_a_note(note: str | None):
    journey = accepted_in_turn(step("training", date(2026, 9, 8)))
    exit_ = recorded("exit", "training", date(2026, 9, 20), exit_reason="other", note=note)
    assert refusal(journey, exit_, TODAY) == ("note", "Say in the note why the project leaves the journey.")


def test_an_exit_for_another_reason_with_its_note_is_taken():
    journey = accepted_in_turn(step("training", date(2026, 9, 8)),
                               recorded("exit", "training", date(2026, 9, 20), exit_reason="other",
                                        note="Moselle Re was bought by a group with its own AI team."))
    assert journey.closed and journey.exit.note == "Moselle Re was bought by a group with its own AI team."


LEFT = ("record", "The project left the journey: nothing more can be recorded.")
COMPLETED = ("record", "The project completed the journey: nothing more can be recorded.")
AFTER = date(2026, 10, 30)
WHAT_COMES_AFTER = {
    "the next step": step("matching", AFTER),
    "a correction": recorded("correction", "training", AFTER, reason="Reopening it."),
    "another exit": recorded("exit", "assessment", AFTER, exit_reason="went_elsewhere"),
}


@pytest.mark.parametrize("after", WHAT_COMES_AFTER)
def test_after_an_exit_nothing_more_can_be_recorded(after: str):
    # Given Moselle Re, which left the journey after its assessment for want of funding
    journey = accepted_in_turn(step("training", date(2026, 9, 8)), step("assessment", date(2026, 9, 15)),
                               recorded("exit", "assessment", date(2026, 10, 15), exit_reason="no_funding"))
    # When Sofia Rossi records anything more, it is refused: the project left the journey
    assert refusal(journey, WHAT_COMES_AFTER[after], TODAY) == LEFT


@pytest.mark.parametrize("after", WHAT_COMES_AFTER)
def test_after_completed_nothing_more_can_be_recorded(after: str):
    # Given Moselle Re, through every step up to completed on 15 December 2026
    journey = accepted_in_turn(
        *up_to_funding(), step("poc", date(2026, 11, 3), datasets=["sample-lu-claims-synthetic"]),
        step("production", date(2026, 12, 1)), step("completed", date(2026, 12, 15)))
    assert (journey.current, journey.completed, journey.closed, journey.next_step) == ("completed", True, True, None)
    # When Sofia Rossi records anything more, it is refused: the project completed the journey
    record = WHAT_COMES_AFTER[after].model_copy(update={"on": date(2026, 12, 16)})
    assert refusal(journey, record, TODAY) == COMPLETED


def test_the_matching_step_keeps_the_providers_confirmed_and_they_stay_through_the_later_steps():
    # Given Sofia Rossi confirming LedgerLight and Moselle Lingua at matching
    journey = accepted_in_turn(*up_to_funding()[:3])
    assert (journey.current, journey.providers) == ("matching", ["sample-ledgerlight", "sample-moselle-lingua"])
    # When the project goes on to funding and its PoC
    journey = accepted_in_turn(*up_to_funding(), step("poc", date(2026, 11, 3)))
    # Then the providers confirmed at matching are still the project's
    assert journey.providers == ["sample-ledgerlight", "sample-moselle-lingua"]


def test_the_poc_step_keeps_the_datasets_attached():
    journey = accepted_in_turn(*up_to_funding(), step("poc", date(2026, 11, 3),
                                                      datasets=["sample-lu-claims-synthetic", "sample-soc-logs"]))
    assert (journey.current, journey.datasets) == ("poc", ["sample-lu-claims-synthetic", "sample-soc-logs"])
    assert journey.providers == ["sample-ledgerlight", "sample-moselle-lingua"]
