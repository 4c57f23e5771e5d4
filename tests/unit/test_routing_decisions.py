"""Routing decides what happens to a scored application: one story per rule, in the order the rules are tried."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from contracts import reference
from contracts.events import ApplicationSubmitted, OfferAnswered
from infra import samples
from services.routing.domain import Candidate, Case, Decision, Sector, decide
from services.routing.handlers import load_policy, scope_of, when_application_scored_decide_route
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy as load_triage_policy

POLICY = load_policy()
REFERENCE = reference.load()
SCOPE = scope_of(REFERENCE)
PHAROS = Candidate("pharos", "Pharos", 100, ("language",))
JAIF = Candidate("jaif", "JUPITER AI Factory", 45, ("finance",), same_country=True)
BSC = Candidate("bsc-aif", "BSC AI Factory", 30, ("finance",))


def case(*sectors: Sector, readiness: int = 25, candidates: tuple[Candidate, ...] = (BSC,), **more) -> Case:
    return Case(sectors=sectors, readiness=readiness, candidates=candidates, **more)


def said(sector: str, words: int = 1, declared: bool = True) -> Sector:
    return Sector(sector, declared, words)


def test_a_military_purpose_is_declined_kindly_whatever_else_fits():
    # Given Kastell Systems' drone targeting, ready, with a priority sector and a fitting partner
    decision = decide(case(said("space"), flags=("military",)), SCOPE, POLICY)
    # Then it is declined, sent nowhere, and the reason explains the civilian scope
    assert (decision.outcome, decision.factory_id, decision.rule) == ("decline", None, "outside-civilian-scope")
    assert "civilian applications only" in decision.reasons[0]


def test_no_sector_at_all_goes_to_review():
    decision = decide(case(), SCOPE, POLICY)
    assert (decision.outcome, decision.rule) == ("review", "no-sector")


def test_many_declared_sectors_that_the_text_never_mentions_go_to_review():
    # Given Synergia ticking four priorities above a text of marketing words
    stuffed = [said(s, words=0) for s in ("finance", "cybersecurity", "space", "energy")]
    decision = decide(case(*stuffed), SCOPE, POLICY)
    # Then staff ask what the project does
    assert (decision.outcome, decision.rule) == ("review", "declared-only")
    assert "finance, cybersecurity, space, energy" in decision.reasons[0]


def test_one_declared_sector_the_text_does_not_name_is_believed():
    decision = decide(case(said("mobility", words=0)), SCOPE, POLICY)
    assert (decision.outcome, decision.factory_id) == ("accept_local", "lux-aif")


def test_a_model_of_the_home_countrys_language_goes_to_staff():
    # Given a Luxembourgish language model for public services: no partner specialises in Luxembourgish
    decision = decide(case(said("language", 3), said("public-sector"), languages=("LU", "FR", "DE")), SCOPE, POLICY)
    assert (decision.outcome, decision.rule) == ("review", "home-language")


def test_a_project_torn_between_a_priority_and_health_goes_to_review():
    # Given Vigilant Docs, which has not chosen between hospitals (2 words) and a bank (1 word)
    decision = decide(case(said("health", 2), said("finance", 1)), SCOPE, POLICY)
    assert (decision.outcome, decision.rule) == ("review", "torn-between-outcomes")


def test_health_within_a_priority_project_does_not_pull_it_away():
    # Given a bank's project that mentions its health insurance customers once
    decision = decide(case(said("finance", 3), said("health", 1, declared=False)), SCOPE, POLICY)
    assert decision.outcome == "accept_local"


def test_securing_hospitals_is_a_cybersecurity_project():
    # Given ransomware detection for three hospitals: more hospital words than security words
    decision = decide(case(said("health", 3), said("cybersecurity", 2)), SCOPE, POLICY)
    # Then cybersecurity names the purpose, and the L-AIF takes it
    assert (decision.outcome, decision.factory_id) == ("accept_local", "lux-aif")


def test_a_priority_project_goes_to_its_own_countrys_factory_when_that_factory_focuses_on_it():
    # Given a German bank's credit-risk model: finance is an L-AIF priority, and JAIF in Germany focuses on it
    decision = decide(case(said("finance", 2), candidates=(JAIF, BSC)), SCOPE, POLICY)
    assert (decision.outcome, decision.factory_id, decision.rule) == ("forward", "jaif", "own-country-factory")
    assert "in or tied to the applicant's own country, focuses on finance" in decision.reasons[0]


@pytest.mark.parametrize(("readiness", "outcome"), [(9, "review"), (10, "accept_local"), (40, "accept_local")])
def test_a_priority_project_is_accepted_from_the_readiness_threshold(readiness, outcome):
    # Given a Luxembourg grid operator's load forecast; the policy's threshold is 10
    decision = decide(case(said("energy", 2), readiness=readiness), SCOPE, POLICY)
    assert decision.outcome == outcome


def test_outside_the_priorities_the_best_partner_gets_it():
    decision = decide(case(said("language", 2), candidates=(PHAROS, BSC)), SCOPE, POLICY)
    assert decision == Decision("forward", "pharos", (
        "The project is outside the L-AIF priorities; Pharos fits it best (fit 100).",
        "With the applicant's consent, the application is passed on to Pharos.",
    ), "best-partner")


def test_two_partners_fitting_equally_go_to_staff():
    tied = dataclasses.replace(BSC, factory_id="piast-ai", name="PIAST AI Factory")
    decision = decide(case(said("health", 2), candidates=(BSC, tied)), SCOPE, POLICY)
    assert (decision.outcome, decision.rule) == ("review", "partners-tied")


def test_no_partner_fitting_enough_goes_to_staff():
    weak = dataclasses.replace(BSC, score=POLICY.forward_min_score - 1)
    decision = decide(case(said("gaming", 1), candidates=(weak,)), SCOPE, POLICY)
    assert (decision.outcome, decision.rule) == ("review", "no-fitting-partner")


def test_without_consent_the_forward_says_nothing_was_sent_and_where_to_apply():
    decision = decide(case(said("language", 2), candidates=(PHAROS,), consent_to_share=False), SCOPE, POLICY)
    assert (decision.outcome, decision.factory_id) == ("forward", "pharos")
    assert decision.reasons[-1] == ("The applicant did not consent to sharing with partner factories, so nothing "
                                    "was sent: they are invited to apply to Pharos directly.")


def scored(sample):
    submitted = ApplicationSubmitted(application_id="CRUNCHY-ARMCHAIR", submitted_at=datetime.now(UTC),
                                     channel="api", **sample.body)
    return when_application_submitted_score_it(submitted, REFERENCE, load_triage_policy())


@pytest.mark.parametrize("sample", samples.ALL, ids=lambda s: s.body["company"]["name"])
def test_each_sample_story_gets_its_expected_decision(sample):
    decision = when_application_scored_decide_route(scored(sample), REFERENCE, POLICY)
    assert (decision.outcome, decision.factory_id) == (sample.expected_outcome, sample.expected_factory)


def test_a_decision_names_both_policy_versions_and_the_scoring_rules_it_rests_on():
    decision = when_application_scored_decide_route(scored(samples.MOSELLE_RE), REFERENCE, POLICY)
    assert decision.policy_version == f"{load_triage_policy().version}+{POLICY.version}"
    assert decision.reasons[0].startswith("The project sits in one of the L-AIF priorities")
    assert ("Sector 'insurance' is one of the L-AIF priorities (declared; text mentions 'réassurance', 'sinistres'): "
            "+30") in decision.reasons


def test_a_project_is_never_forwarded_to_a_factory_on_its_hop_list():
    # Given Athens Cardio's health project, which fits Pharos best, having come through Pharos already
    came_back = scored(samples.ATHENS_CARDIO).model_copy(update={"hops": ["pharos"]})
    decision = when_application_scored_decide_route(came_back, REFERENCE, POLICY)
    # Then it goes anywhere but back there
    assert scored(samples.ATHENS_CARDIO).partner_fit[0].factory_id == "pharos"
    assert decision.factory_id != "pharos"


def test_an_offer_outside_the_priorities_is_declined_back_to_the_factory_that_offered_it():
    # Given Athens Cardio's health project, offered to Luxembourg by Pharos's instance
    offered = scored(samples.ATHENS_CARDIO).model_copy(update={
        "hops": ["pharos"], "offer": OfferAnswered(factory_id="pharos", offer_id="o-1", application_id="GR-1")})
    decision = when_application_scored_decide_route(offered, REFERENCE, POLICY)
    # Then it is not passed on to another partner: it goes back to Pharos, which asks its next partner
    assert (decision.outcome, decision.factory_id) == ("decline", None)
    assert "goes back to Pharos" in decision.reasons[0]
