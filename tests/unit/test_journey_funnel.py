"""The journey's figures, as stories: ten applications submitted in autumn 2026, three of them accepted and on
their journey, and what the funnel, the exits, the days per stage and the tables by sector, expert and month say
about them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from contracts.events import JOURNEY_STEPS, Applicant, JourneyStepRecorded
from services.intake.journey.funnel import Project, csv_rows, funnel
from services.intake.journey.steps import fold


def applicant(company: str) -> Applicant:
    return Applicant(company_name=company, contact_name="Anne Weber", email="anne.weber@example.lu", language="fr",
                     project_title=f"{company}'s AI project")


def recorded(company: str, record: str, step: str | None, on: date, **fields) -> JourneyStepRecorded:
    return JourneyStepRecorded(
        application_id=f"app-{company}", record=record, step=step, on=on, recorded_by="Sofia Rossi",
        staff_username="srossi", recorded_at=datetime(on.year, on.month, on.day, 16, 0, tzinfo=UTC),
        applicant=applicant(company), **fields)


def project(company: str, sectors: tuple[str, ...], expert: str, accepted_on: date,
            *records: tuple[str, str | None, date] | tuple[str, str | None, date, dict]) -> Project:
    """An accepted project and its journey, from (record, step, on[, fields]) in the order they were made."""
    made = [recorded(company, r[0], r[1], r[2], **(r[3] if len(r) > 3 else {})) for r in records]
    return Project(sectors, expert, accepted_on, fold([(f"{company}-{n}", r) for n, r in enumerate(made, 1)]))


# Moselle Re, a Luxembourg reinsurer that wants fraud detection, with Sofia Rossi: through every step.
MOSELLE_RE = project(
    "Moselle Re", ("insurance", "finance"), "Sofia Rossi", date(2026, 9, 1),
    ("step", "training", date(2026, 9, 8)),  # accepted: 7 days
    ("step", "assessment", date(2026, 9, 15)),  # training: 7 days
    ("step", "matching", date(2026, 9, 29)),  # assessment: 14 days
    ("step", "funding", date(2026, 10, 20)),  # matching: 21 days
    ("step", "poc", date(2026, 11, 3)),  # funding: 14 days
    ("step", "production", date(2026, 12, 1)),  # poc: 28 days
    ("step", "completed", date(2026, 12, 15)),  # production: 14 days
)
# Wiltz Watts, a grid operator, with Nora Wagner: left after its assessment, for want of funding.
WILTZ_WATTS = project(
    "Wiltz Watts", ("energy",), "Nora Wagner", date(2026, 9, 10),
    ("step", "training", date(2026, 9, 14)),  # accepted: 4 days
    ("step", "assessment", date(2026, 9, 24)),  # training: 10 days
    ("exit", "assessment", date(2026, 10, 15), {"exit_reason": "no_funding"}),  # assessment: 21 days
)
# Kirchberg Claims, an insurance broker, with Sofia Rossi: still at training.
KIRCHBERG_CLAIMS = project(
    "Kirchberg Claims", ("insurance",), "Sofia Rossi", date(2026, 10, 1),
    ("step", "training", date(2026, 10, 6)),  # accepted: 5 days; training not left yet
)
AUTUMN = funnel(10, [MOSELLE_RE, WILTZ_WATTS, KIRCHBERG_CLAIMS])


def test_the_funnel_counts_the_projects_that_reached_each_step():
    # Given ten applications submitted, three accepted: all three trained, two assessed, one went all the way
    # Then the funnel narrows step by step
    assert (AUTUMN.submitted, AUTUMN.accepted) == (10, 3)
    assert AUTUMN.reached == {"training": 3, "assessment": 2, "matching": 1, "funding": 1, "poc": 1,
                              "production": 1, "completed": 1}


def test_only_open_projects_stand_at_a_step():
    # Kirchberg Claims is at training; Wiltz Watts left at the assessment, so it stands nowhere; Moselle Re is done
    assert AUTUMN.at_step == {"accepted": 0, "training": 1, "assessment": 0, "matching": 0, "funding": 0, "poc": 0,
                              "production": 0}


def test_the_exit_is_counted_at_the_step_it_left_with_its_reason():
    assert AUTUMN.exits == {("assessment", "no_funding"): 1}
    assert (AUTUMN.dropped_at("assessment"), AUTUMN.dropped_at("training"), AUTUMN.dropped_at("accepted")) == (1, 0, 0)


def test_the_median_days_in_each_stage_count_the_projects_that_moved_on_from_it():
    # accepted: 7, 4, 5 -> 5; training: 7, 10 (Kirchberg Claims is still there) -> 8.5; assessment: 14, and 21 to
    # Wiltz Watts' exit -> 17.5; then Moselle Re alone: matching 21, funding 14, poc 28, production 14
    assert AUTUMN.median_days == {"accepted": 5, "training": 8.5, "assessment": 17.5, "matching": 21, "funding": 14,
                                  "poc": 28, "production": 14}


def test_the_outcomes_against_the_target():
    assert (AUTUMN.completed, AUTUMN.exited, AUTUMN.in_journey, AUTUMN.target) == (1, 1, 1, 190)


def test_the_outcomes_by_sector_count_a_project_in_each_of_its_sectors():
    assert AUTUMN.by_sector == {
        "energy": {"accepted": 1, "in_journey": 0, "completed": 0, "exited": 1},
        "finance": {"accepted": 1, "in_journey": 0, "completed": 1, "exited": 0},
        "insurance": {"accepted": 2, "in_journey": 1, "completed": 1, "exited": 0},
    }


def test_the_outcomes_by_expert():
    assert AUTUMN.by_expert == {
        "Nora Wagner": {"accepted": 1, "in_journey": 0, "completed": 0, "exited": 1},
        "Sofia Rossi": {"accepted": 2, "in_journey": 1, "completed": 1, "exited": 0},
    }


def test_the_months_count_the_steps_reached_the_completions_and_the_exits():
    # September: Moselle Re's training, assessment and matching, Wiltz Watts' training and assessment;
    # October: Moselle Re's funding, Kirchberg Claims' training, Wiltz Watts' exit; November: Moselle Re's PoC;
    # December: Moselle Re's production, then its completion
    assert AUTUMN.by_month == {
        "2026-09": {"steps": 5, "completed": 0, "exited": 0},
        "2026-10": {"steps": 2, "completed": 0, "exited": 1},
        "2026-11": {"steps": 1, "completed": 0, "exited": 0},
        "2026-12": {"steps": 1, "completed": 1, "exited": 0},
    }


def test_the_csv_rows_carry_the_figures():
    rows = csv_rows(AUTUMN)
    assert set(rows) >= {
        ("journey", "accepted", 3), ("journey", "in_journey", 1), ("journey", "completed", 1),
        ("journey", "exited", 1), ("journey", "target", 190),
        ("journey_funnel", "submitted", 10), ("journey_funnel", "accepted", 3), ("journey_funnel", "assessment", 2),
        ("journey_at_step", "training", 1), ("journey_exits", "assessment:no_funding", 1),
        ("journey_median_days", "training", 8.5), ("journey_median_days", "accepted", 5),
        ("journey_by_sector", "insurance:accepted", 2), ("journey_by_expert", "Nora Wagner:exited", 1),
        ("journey_by_month", "2026-12:completed", 1),
    }
    assert len(rows) == len(set(rows))
    assert [key for indicator, key, _ in rows if indicator == "journey_exits"] == ["assessment:no_funding"]


def test_a_stage_nobody_left_has_no_median_and_a_blank_in_the_csv():
    # Given only Kirchberg Claims, still at training
    figures = funnel(1, [KIRCHBERG_CLAIMS])
    # Then training has no median yet, nor any stage after it, and the CSV leaves them blank
    assert figures.median_days == {"accepted": 5, "training": None, "assessment": None, "matching": None,
                                   "funding": None, "poc": None, "production": None}
    assert ("journey_median_days", "training", "") in csv_rows(figures)
    assert ("journey_median_days", "accepted", 5) in csv_rows(figures)


def test_a_correction_back_to_training_takes_the_later_step_out_of_the_funnel():
    # Given Moselle Re assessed on 15 September, then corrected back to training: the assessment was not held
    corrected = project(
        "Moselle Re", ("insurance", "finance"), "Sofia Rossi", date(2026, 9, 1),
        ("step", "training", date(2026, 9, 8)), ("step", "assessment", date(2026, 9, 15)),
        ("correction", "training", date(2026, 9, 16), {"reason": "The assessment was postponed."}))
    # When the figures are computed
    figures = funnel(1, [corrected])
    # Then it reached training only, stands at training, and training has no days yet
    assert figures.reached == {**dict.fromkeys(JOURNEY_STEPS, 0), "training": 1}
    assert (figures.at_step["training"], figures.at_step["assessment"]) == (1, 0)
    assert (figures.median_days["accepted"], figures.median_days["training"]) == (7, None)
    assert figures.by_month == {"2026-09": {"steps": 1, "completed": 0, "exited": 0}}


def test_an_assessment_held_again_after_a_correction_counts_once_from_its_new_date():
    # Given Moselle Re corrected back to training, then assessed again on 22 September
    reassessed = project(
        "Moselle Re", ("insurance",), "Sofia Rossi", date(2026, 9, 1),
        ("step", "training", date(2026, 9, 8)), ("step", "assessment", date(2026, 9, 15)),
        ("correction", "training", date(2026, 9, 16), {"reason": "The assessment was postponed."}),
        ("step", "assessment", date(2026, 9, 22)))
    figures = funnel(1, [reassessed])
    # Then the assessment counts once, and training lasted 14 days, to the assessment actually held
    assert (figures.reached["assessment"], figures.at_step["assessment"]) == (1, 1)
    assert figures.median_days["training"] == 14


def test_a_project_that_leaves_before_training_drops_at_the_acceptance():
    # Given Petit Four, accepted on 1 September, leaving on 11 September before its training: its own decision
    left = project("Petit Four", ("manufacturing",), "Paul Becker", date(2026, 9, 1),
                   ("exit", None, date(2026, 9, 11), {"exit_reason": "company_decision"}))
    figures = funnel(2, [left])
    assert figures.exits == {("accepted", "company_decision"): 1}
    assert (figures.dropped_at("accepted"), figures.at_step["accepted"], figures.exited, figures.in_journey) == (
        1, 0, 1, 0)
    assert figures.median_days["accepted"] == 10
    assert figures.reached == dict.fromkeys(JOURNEY_STEPS, 0)
    assert figures.by_month == {"2026-09": {"steps": 0, "completed": 0, "exited": 1}}


def test_an_accepted_project_without_a_journey_yet_waits_at_the_acceptance():
    waiting = project("Petit Four", ("manufacturing",), "waiting for an expert", date(2026, 11, 2))
    figures = funnel(1, [waiting])
    assert (figures.at_step["accepted"], figures.in_journey, figures.median_days["accepted"]) == (1, 1, None)
    assert figures.by_expert == {"waiting for an expert": {"accepted": 1, "in_journey": 1, "completed": 0,
                                                           "exited": 0}}
    assert figures.by_month == {}
