"""notify tells the applicant of three milestones of their project's journey at the L-AIF, in their language:
accepted into training, the proof of concept started on the supercomputer, the journey completed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts import reference
from contracts.events import JOURNEY_STEPS, Applicant, JourneyStepRecorded
from services.notify.render import MILESTONES, milestone_of, render_journey_milestone

REFERENCE = reference.load()
TITLES = {"en": "Fraud detection in reinsurance claims", "fr": "Détection de fraude dans les sinistres",
          "de": "Betrugserkennung in Rückversicherungsschäden"}
GREETINGS = {"en": "Dear Anne Weber,", "fr": "Bonjour Anne Weber,", "de": "Guten Tag Anne Weber,"}
WORDS = {
    ("training", "en"): "Your expert will run the training with your team",
    ("training", "fr"): "Votre expert·e animera la formation",
    ("training", "de"): "Ihre Ansprechperson führt die Schulung mit Ihrem Team durch",
    ("poc", "en"): "The proof of concept of your project has started on the supercomputer.",
    ("poc", "fr"): "La preuve de concept de votre projet a démarré sur le supercalculateur.",
    ("poc", "de"): "Der Machbarkeitsnachweis Ihres Projekts auf dem Supercomputer hat begonnen.",
    ("completed", "en"): "Your project has completed its journey with the Luxembourg AI Factory (L-AIF).",
    ("completed", "fr"): "Votre projet a terminé son parcours avec la Luxembourg AI Factory (L-AIF).",
    ("completed", "de"): "Ihr Projekt hat seinen Weg mit der Luxembourg AI Factory (L-AIF) abgeschlossen.",
}
SIGNATURES = {"en": "The Luxembourg AI Factory one-stop shop", "fr": "Le guichet unique de la Luxembourg AI Factory",
              "de": "Der One-Stop-Shop der Luxembourg AI Factory"}


def recorded(step: str | None, *, record: str = "step", language: str = "en", **fields) -> JourneyStepRecorded:
    """Sofia Rossi, Moselle Re's expert, records where its project stands."""
    return JourneyStepRecorded(
        application_id="app-42", record=record, step=step, on=date(2027, 3, 15), expert_id="sofia-rossi",
        recorded_by="Sofia Rossi", staff_username="srossi", recorded_at=datetime(2027, 3, 15, 16, 0, tzinfo=UTC),
        applicant=Applicant(company_name="Moselle Re", contact_name="Anne Weber", email="anne.weber@moselle-re.example",
                            language=language, project_title=TITLES[language]),
        **fields,
    )


@pytest.mark.parametrize("language", ["en", "fr", "de"])
@pytest.mark.parametrize("milestone", ["training", "poc", "completed"])
def test_each_milestone_is_told_in_the_applicants_language_and_names_the_project(milestone: str, language: str):
    # Given Moselle Re, a Luxembourg reinsurer, whose project reached a milestone of its journey
    step = recorded(milestone, language=language)
    # When notify renders the email
    sent = render_journey_milestone(step, REFERENCE)
    # Then Anne Weber reads, in her language, what the milestone means; and, as notify has written to her before
    # (her project's acceptance), which project it is about, right after the greeting
    assert (sent.to, sent.language) == ("anne.weber@moselle-re.example", language)
    assert sent.body.startswith(GREETINGS[language] + "\n\n")
    assert TITLES[language] in sent.naming_the_project().body.split("\n\n")[1]
    assert WORDS[milestone, language] in sent.body
    assert sent.body.endswith(SIGNATURES[language] + "\n")


def test_the_three_milestones_have_three_different_subjects():
    # Given Moselle Re's project reaching training, then its proof of concept, then the end of its journey
    subjects = [render_journey_milestone(recorded(milestone), REFERENCE).subject for milestone in MILESTONES]
    # Then each email says which milestone it announces
    assert subjects == [
        "Your AI project is accepted into training",
        "Your AI project: the proof of concept has started on the "
        "supercomputer",
        "Your AI project has completed its journey with the Luxembourg AI "
        "Factory",
    ]


@pytest.mark.parametrize("milestone", ["training", "poc", "completed"])
def test_a_milestone_reached_is_one_the_applicant_hears_of(milestone: str):
    # Given Sofia Rossi recording that Moselle Re's project reached a milestone
    # Then notify announces that milestone
    assert milestone_of(recorded(milestone)) == milestone


@pytest.mark.parametrize("step", ["assessment", "matching", "funding", "production"])
def test_the_experts_working_steps_send_no_email(step: str):
    # Given Sofia Rossi recording a working step of Moselle Re's journey, such as matching it with providers
    # Then the applicant is not emailed about it (the expert talks with them directly)
    assert milestone_of(recorded(step)) is None


def test_leaving_the_journey_sends_no_email():
    # Given Moselle Re's project leaving the journey at its proof of concept, for want of funding
    exit_ = recorded("poc", record="exit", exit_reason="no_funding")
    # Then no milestone is announced, although the last step reached was the proof of concept
    assert milestone_of(exit_) is None


def test_a_correction_sends_no_email():
    # Given Sofia Rossi correcting Moselle Re's project back to training: the PoC was recorded by mistake
    correction = recorded("training", record="correction", reason="The PoC was recorded on the wrong project.")
    # Then the applicant is not told about training a second time
    assert milestone_of(correction) is None


def test_a_step_that_is_no_milestone_cannot_be_rendered_as_one():
    # Given the matching step of Moselle Re's journey
    # Then rendering it as a milestone email is refused rather than sending empty words
    with pytest.raises(ValueError, match="no milestone"):
        render_journey_milestone(recorded("matching"), REFERENCE)


def test_the_milestones_are_steps_of_the_journey_in_its_order():
    # Given the journey's steps as the contract lists them
    # Then the emailed milestones are among them, in the journey's order
    assert MILESTONES == ("training", "poc", "completed")
    assert sorted(MILESTONES, key=JOURNEY_STEPS.index) == list(MILESTONES)
