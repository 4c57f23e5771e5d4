"""Triage scores a project against the L-AIF priorities and every partner factory, one readable sentence per rule."""

from __future__ import annotations

import pytest

from contracts import reference
from services.triage.domain import score
from services.triage.model import Scores
from services.triage.policy import load_policy

POLICY = load_policy()
REFERENCE = reference.load()


def scored(text: str, declared: list[str] | None = None, *, data_readiness: str = "partial",
           stage: str = "prototype", country: str = "LU") -> Scores:
    return score(declared=declared or [], title=text, summary="", data_readiness=data_readiness, stage=stage, country=country,
                 reference=REFERENCE, policy=POLICY)


def sentences(scores: Scores) -> list[tuple[int, str]]:
    return [(rule.points, rule.reason) for rule in scores.priority]


def test_a_priority_sector_gives_30_points_with_a_sentence_naming_it():
    # Given Orbital Lux, a Luxembourg start-up, writing about satellites
    scores = scored("Collision avoidance for small satellites in low orbit")
    # Then the space sector gives +30, and the sentence says why, with the words of the text
    assert sentences(scores) == [(30, "Sector 'space' is one of the L-AIF priorities (text mentions 'satellites', "
                                      "'orbit'): +30")]


def test_a_declared_priority_sector_says_it_was_declared():
    # Given a reinsurer declaring 'insurance' without writing an insurance word
    scores = scored("Better models for storms and hail", declared=["insurance"])
    # Then the sentence says the sector was declared
    assert (30, "Sector 'insurance' is one of the L-AIF priorities (declared): +30") in sentences(scores)


def test_two_priority_sectors_reach_the_cap_of_60():
    # Given a bank's fraud detection project: finance and cybersecurity
    scores = scored("Fraud detection for a retail bank", ["finance", "cybersecurity"])
    # Then both sectors count, 60 in all
    assert scores.priority_score == 60


def test_a_third_priority_sector_adds_nothing_beyond_the_cap():
    # Given a project touching finance, space and energy
    scores = scored("Banks financing satellites and wind parks", ["finance", "space", "energy"])
    # Then the score stays at 60: the third sector is named but gives +0
    assert scores.priority_score == 60
    assert [points for points, _ in sentences(scores)] == [30, 30, 0]


def test_health_alone_gives_the_not_prioritised_penalty():
    # Given Rhein Radiologie, a German clinic group, supporting radiology diagnosis
    scores = scored("Radiology support for the radiologists of our hospital", declared=["health"])
    # Then health costs 20 points, and the sentence says other factories are further ahead, with the text's words
    assert sentences(scores) == [(-20, "Sector 'health' is not one of the L-AIF priorities; other AI Factories are "
                                       "further ahead in it (declared; text mentions 'Radiology', 'radiologists', "
                                       "'hospital'): -20")]


def test_health_next_to_a_priority_sector_is_not_penalised():
    # Given a health insurer detecting fraud in hospital bills
    scores = scored("Detecting fraud in hospital bills for a health insurer",
                    ["cybersecurity", "insurance", "health"])
    # Then only the priority sectors count, no penalty
    assert [rule.rule for rule in scores.priority] == ["priority-sector", "priority-sector"]
    assert scores.priority_score == 60


def test_no_sector_at_all_says_so():
    # Given Petit Four, a bakery with an idea and no sector
    scores = scored("We would like to find out what artificial intelligence could do for us.")
    # Then the one priority sentence says no sector was found, for 0 points
    assert sentences(scores) == [(0, "No sector was declared or recognised in the text: 0")]


@pytest.mark.parametrize(("data_readiness", "stage", "expected"), [
    ("none", "idea", [(0, "Data readiness is 'none': +0"), (0, "Project stage is 'idea': +0")]),
    ("partial", "prototype", [(10, "Data readiness is 'partial': +10"), (5, "Project stage is 'prototype': +5")]),
    ("ready", "pilot", [(20, "Data readiness is 'ready': +20"), (10, "Project stage is 'pilot': +10")]),
    ("ready", "production", [(20, "Data readiness is 'ready': +20"), (10, "Project stage is 'production': +10")]),
])
def test_readiness_points_follow_the_policy(data_readiness, stage, expected):
    # Given a solar park project at some stage, with data in some state
    scores = scored("Forecasting solar output", data_readiness=data_readiness, stage=stage)
    # Then each readiness rule gives the policy's points with a sentence
    assert [(rule.points, rule.reason) for rule in scores.readiness] == expected
    assert scores.readiness_score == sum(points for points, _ in expected)


def test_partner_fit_lists_the_best_first():
    # Given any project with several sectors
    scores = scored("Crop yield forecasts from weather data for farms")
    # Then the partner factories come best fit first
    fits = [fit.score for fit in scores.partner_fit]
    assert fits == sorted(fits, reverse=True) and fits[0] > 0


def test_a_greek_language_model_ranks_pharos_first():
    # Given Odyssea NLP, an Athens start-up, building a Greek language model for cultural heritage
    scores = scored("A Greek language model (LLM) for translation in museums", ["language", "culture-creative"],
                    country="GR")
    # Then Pharos, the Greek AI Factory focused on language and culture, is first, with its reasons
    best = scores.partner_fit[0]
    assert best.factory_id == "pharos"
    assert best.reasons == ("Pharos names 'language' as a focus: +30", "Pharos names 'culture-creative' as a focus: +30",
                            "Pharos is the AI Factory of GR, whose language the project serves: +40",
                            "Pharos is in the applicant's country (GR): +15")


def test_a_factory_in_the_applicants_country_gets_a_bonus():
    # Given the same project, once from Germany and once from Luxembourg
    from_germany = scored("Support for clinics and doctors", ["health"], country="DE")
    from_luxembourg = scored("Support for clinics and doctors", ["health"], country="LU")
    # Then the JUPITER AI Factory (Germany) gets 15 more for the German applicant, and comes first
    jaif = {fit.factory_id: fit for fit in from_germany.partner_fit}["jaif"]
    assert (jaif.score, from_germany.partner_fit[0].factory_id) == (45, "jaif")
    assert "JAIF is in the applicant's country (DE): +15" in jaif.reasons
    assert {fit.factory_id: fit.score for fit in from_luxembourg.partner_fit}["jaif"] == 30


def test_equal_fits_are_ordered_by_specialisation_then_factory_id():
    # Given Moselle Re's cybersecurity project, which IT4LIA, PIAST-AI, LitAI, NLAIF and RO AI name as a focus
    scores = scored("Intrusion detection for the IT systems of a reinsurer", ["cybersecurity"])
    # Then the tie goes first to the factories with the shortest focus lists, then by id; so do those with no fit
    order = [(fit.factory_id, fit.score) for fit in scores.partner_fit]
    assert order[:5] == [("nlaif", 30), ("it4lia", 30), ("litai", 30), ("ro-aif", 30), ("piast-ai", 30)]
    zero = [factory_id for factory_id, points in order if points == 0]
    assert zero == sorted(zero)


def test_the_home_factory_is_never_a_partner():
    # Given a fintech project exactly on the Luxembourg AI Factory's own focus
    scores = scored("Payment fraud detection for Luxembourg banks", ["finance"])
    # Then 'lux-aif' is not among the partner fits, while every other factory is
    ids = {fit.factory_id for fit in scores.partner_fit}
    assert "lux-aif" not in ids
    assert ids == {factory.id for factory in REFERENCE.factories} - {"lux-aif"}
