"""Routing decides what happens to a scored application: accept it here, forward it, decline it or review it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts import reference
from contracts.events import ApplicationSubmitted
from infra import samples
from services.routing.domain import Candidate, Decision, decide
from services.routing.handlers import load_policy, when_application_scored_decide_route
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy as load_triage_policy

POLICY = load_policy()
REFERENCE = reference.load()
PHAROS = Candidate("pharos", "Pharos - The Greek AI Factory", 70)
JUPITER = Candidate("jaif", "JUPITER AI Factory", 40)


def decided(*, priority: int = 0, readiness: int = 0, flags: tuple[str, ...] = (),
            partner: Candidate | None = None, consent: bool = True) -> Decision:
    return decide(home_factory="lux-aif", priority_score=priority, readiness_score=readiness, flags=list(flags),
                  best_partner=partner, consent_to_share=consent, policy=POLICY)


def test_a_military_project_is_declined_with_a_kind_sentence():
    # Given Kastell Systems' drone targeting, ready and in pilot, with a partner that would even fit
    decision = decided(priority=60, readiness=30, flags=("military",), partner=PHAROS)
    # Then it is declined, sent nowhere, and the reason explains the civilian scope
    assert (decision.outcome, decision.factory_id) == ("decline", None)
    assert "civilian applications only" in decision.reasons[0]


def test_a_ready_project_on_the_priorities_is_accepted_locally():
    # Given Moselle Re's fraud detection: priority fit 60, readiness 25
    decision = decided(priority=60, readiness=25, partner=Candidate("it4lia", "IT4LIA AI Factory", 30))
    # Then the Luxembourg AI Factory takes it, and the reason gives both numbers and thresholds
    assert decision == Decision("accept_local", "lux-aif", (
        "The project fits the L-AIF priorities (fit 60, at least 30) and is ready enough (readiness 25, at least 10).",
    ))


def test_a_partner_that_beats_the_home_fit_by_the_margin_gets_the_project():
    # Given Odyssea NLP's Greek language model: no L-AIF priority, Pharos fits with 70
    decision = decided(priority=0, readiness=15, partner=PHAROS)
    # Then it is forwarded to Pharos, with the comparison and the consent in the reasons
    assert decision == Decision("forward", "pharos", (
        "Pharos - The Greek AI Factory fits the project better (fit 70) than the L-AIF priorities (fit 0).",
        "With the applicant's consent, the application is passed on to Pharos - The Greek AI Factory.",
    ))


def test_a_partner_exactly_the_margin_ahead_is_enough():
    # Given a project with priority fit 30 and a partner at 30 + 10
    decision = decided(priority=30, readiness=20, partner=Candidate("it4lia", "IT4LIA AI Factory", 40))
    # Then the partner gets it
    assert (decision.outcome, decision.factory_id) == ("forward", "it4lia")


def test_a_partner_within_the_margin_does_not_take_the_project_away():
    # Given a project with priority fit 30 and a partner only 9 points ahead
    decision = decided(priority=30, readiness=20, partner=Candidate("it4lia", "IT4LIA AI Factory", 39))
    # Then Luxembourg keeps it
    assert (decision.outcome, decision.factory_id) == ("accept_local", "lux-aif")


def test_a_priority_project_not_ready_enough_goes_to_review():
    # Given a fintech idea with no data yet: fit 30, readiness 0
    decision = decided(priority=30, readiness=0)
    # Then an intake expert looks at it, and the reason says readiness is below 10
    assert decision == Decision("review", None, (
        "The project fits the L-AIF priorities (fit 30) but its readiness (0) is below 10: an intake expert "
        "will look at it.",
    ))


def test_a_project_nothing_fits_goes_to_review():
    # Given Petit Four, a bakery with no sector, and only a generalist partner at 5
    decision = decided(priority=0, readiness=0, partner=Candidate("lumi-aif", "LUMI AI Factory", 5))
    # Then an intake expert looks at it, and the reason gives the best fits found
    assert decision == Decision("review", None, (
        "Neither the L-AIF priorities (fit 0) nor a partner factory (best fit 5) reach 30: an intake expert "
        "will look at it.",
    ))


def test_without_consent_the_project_is_still_forwarded_but_nothing_is_sent():
    # Given Rhein Radiologie, who did not consent to sharing; JUPITER fits with 40
    decision = decided(priority=-20, readiness=10, partner=JUPITER, consent=False)
    # Then the decision is still forward to JUPITER, but the reasons say nothing was sent and where to apply
    assert (decision.outcome, decision.factory_id) == ("forward", "jaif")
    assert decision.reasons[1] == ("The applicant did not consent to sharing with partner factories, so nothing was "
                                   "sent: they are invited to apply to JUPITER AI Factory directly.")


def route(sample: samples.Sample):
    submitted = ApplicationSubmitted(application_id="app-42", submitted_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
                                     channel="web", **sample.body)
    scored = when_application_submitted_score_it(submitted, REFERENCE, load_triage_policy())
    return scored, when_application_scored_decide_route(scored, REFERENCE, POLICY)


@pytest.mark.parametrize("sample", samples.ALL, ids=lambda sample: sample.story)
def test_each_sample_application_gets_its_expected_outcome(sample: samples.Sample):
    # Given one of the sample applications of the demo
    # When triage scores it and routing decides
    _, decision = route(sample)
    # Then it ends where its story says
    assert (decision.outcome, decision.factory_id) == (sample.expected_outcome, sample.expected_factory)


def test_the_decision_names_both_policy_versions():
    # Given Moselle Re's application scored by triage
    scored, decision = route(samples.MOSELLE_RE)
    # Then the decision records the triage and the routing policy versions it applied
    assert decision.policy_version == f"{scored.policy_version}+{POLICY.version}"
    assert decision.policy_version.startswith("triage-") and "+routing-" in decision.policy_version


def test_the_reasons_carry_the_scoring_sentences_after_the_decision():
    # Given Moselle Re's application scored by triage
    _, decision = route(samples.MOSELLE_RE)
    # Then the decision sentence comes first, then every scoring rule's sentence
    assert decision.reasons == [
        "The project fits the L-AIF priorities (fit 60, at least 30) and is ready enough (readiness 25, at least 10).",
        "Sector 'insurance' is an L-AIF priority (declared; text mentions 'reassur', 'sinistre'): +30",
        "Sector 'cybersecurity' is an L-AIF priority (text mentions 'fraud', 'fraude'): +30",
        "Data readiness is 'ready': +20",
        "Project stage is 'prototype': +5",
    ]
    assert decision.applicant.email == "anne.weber@moselle-re.example" and decision.decided_by == "routing"
