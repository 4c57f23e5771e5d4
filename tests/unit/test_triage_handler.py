"""Triage's reaction to a submitted application: the ApplicationScored event every later step relies on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts import reference
from contracts.events import ApplicationSubmitted
from infra import samples
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy

POLICY = load_policy()
REFERENCE = reference.load()


def submitted(sample: samples.Sample, application_id: str = "app-42") -> ApplicationSubmitted:
    return ApplicationSubmitted(application_id=application_id, submitted_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
                                channel="web", **sample.body)


def test_the_scores_carry_the_policy_version_that_produced_them():
    # Given Moselle Re's application, submitted through the web form
    scored = when_application_submitted_score_it(submitted(samples.MOSELLE_RE), REFERENCE, POLICY)
    # Then the event names the application and the version of the scoring policy
    assert (scored.application_id, scored.policy_version) == ("app-42", POLICY.version)
    assert scored.policy_version.startswith("triage-")


def test_the_scores_carry_who_to_tell_and_in_which_language():
    # Given Moselle Re's application, written by Anne Weber, who reads French
    scored = when_application_submitted_score_it(submitted(samples.MOSELLE_RE), REFERENCE, POLICY)
    # Then the applicant travels along, so that notify needs no other source
    applicant = scored.applicant
    assert (applicant.company_name, applicant.contact_name) == ("Moselle Re", "Anne Weber")
    assert (applicant.email, applicant.language) == ("anne.weber@moselle-re.example", "fr")
    assert applicant.project_title == "Détection de fraude dans les sinistres de réassurance"


@pytest.mark.parametrize(("sample", "consent"), [(samples.MOSELLE_RE, True), (samples.RHEIN_RADIOLOGIE, False)],
                         ids=["Moselle Re agreed to share", "Rhein Radiologie did not"])
def test_the_scores_carry_the_consent_to_share(sample: samples.Sample, consent: bool):
    # Given an application with or without consent to share with partner factories
    scored = when_application_submitted_score_it(submitted(sample), REFERENCE, POLICY)
    # Then the consent is carried as given
    assert scored.consent_to_share is consent


def test_the_scores_carry_the_sectors_the_rules_and_the_totals():
    # Given Moselle Re's French summary about fraud in reinsurance claims
    scored = when_application_submitted_score_it(submitted(samples.MOSELLE_RE), REFERENCE, POLICY)
    # Then the sectors, the rule sentences and their points add up
    assert [(s.sector, s.declared, s.layer, s.evidence) for s in scored.sectors] == [
        ("insurance", True, "declared", ["réassurance", "sinistres"]),
        ("cybersecurity", False, "lexical", ["Détection de fraude", "fraude"])]
    assert [(rule.rule, rule.points) for rule in scored.rules] == [
        ("priority-sector", 30), ("priority-sector", 30), ("data-readiness", 20), ("project-stage", 5),
        ("company-type", 10)]
    assert (scored.priority_score, scored.readiness_score, scored.total_score) == (60, 25, 95)


def test_the_title_is_read_as_well_as_the_summary():
    # Given a space start-up whose only space word is in the title
    body = {**samples.PETIT_FOUR.body, "project": {**samples.PETIT_FOUR.body["project"],
                                                     "title": "Satellite launch windows for our company"}}
    sample = samples.Sample("Orbital Lux", "review", None, body)
    # When triage scores it
    scored = when_application_submitted_score_it(submitted(sample), REFERENCE, POLICY)
    # Then the title's word counts as evidence
    assert [(s.sector, s.evidence) for s in scored.sectors] == [("space", ["Satellite", "launch"])]


def test_a_military_application_carries_the_military_flag():
    # Given Kastell Systems' drone targeting application
    scored = when_application_submitted_score_it(submitted(samples.KASTELL_DEFENCE), REFERENCE, POLICY)
    # Then routing will see the 'military' flag
    assert scored.flags == ["military"]
