"""What an erasure leaves of each stored payload: every contract still reads it, and nothing in it names the
applicant (Moselle Re's Anne Weber); what the counts stand on (sectors, outcome, consent) stays."""

from __future__ import annotations

from contracts import reference
from contracts.events import ApplicationScored, ApplicationSubmitted, DecisionMade
from infra import samples
from services.routing.handlers import load_policy, when_application_scored_decide_route
from services.runtime import privacy
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy as load_triage_policy
from tests.unit.test_triage_handler import submitted

MOSELLE = samples.MOSELLE_RE.body
NAMES = (MOSELLE["contact"]["name"], MOSELLE["contact"]["email"], MOSELLE["company"]["name"],
         MOSELLE["project"]["title"], MOSELLE["project"]["summary"])


def stored() -> tuple[ApplicationSubmitted, ApplicationScored, DecisionMade]:
    application = submitted(samples.MOSELLE_RE)
    scored = when_application_submitted_score_it(application, reference.load(), load_triage_policy())
    return application, scored, when_application_scored_decide_route(scored, reference.load(), load_policy())


def test_each_payload_anonymised_still_reads_and_names_no_one():
    for payload in stored():
        # When the stored payload is anonymised
        anonymised = privacy.anonymised_json(payload.model_dump_json())
        # Then its own contract still reads it, and none of Anne Weber's data is in it
        again = type(payload).model_validate_json(anonymised)
        assert not any(value in anonymised for value in NAMES), anonymised
        assert again.application_id == payload.application_id


def test_what_the_indicators_count_stays():
    application, scored, decision = stored()
    anonymous_scores = ApplicationScored.model_validate_json(privacy.anonymised_json(scored.model_dump_json()))
    anonymous_decision = DecisionMade.model_validate_json(privacy.anonymised_json(decision.model_dump_json()))
    assert [f.sector for f in anonymous_scores.sectors] == [f.sector for f in scored.sectors]
    assert (anonymous_decision.outcome, anonymous_decision.factory_id) == (decision.outcome, decision.factory_id)
    assert anonymous_decision.applicant.language == "fr"


def test_a_timeline_line_loses_the_address_and_the_names_found_in_the_payloads():
    application, scored, _ = stored()
    known = privacy.identifying(application.model_dump_json(), scored.model_dump_json())
    line = f"Email 'Votre projet « {MOSELLE['project']['title']} »' sent to {MOSELLE['contact']['email']} (fr)"
    assert privacy.redacted(line, known) == "Email 'Votre projet « [erased] »' sent to [erased] (fr)"
