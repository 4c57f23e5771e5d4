"""Realistic applications judged by experts who did not read the rules. The rules must agree with at least
95% of the judgements, and every disagreement the test tolerates is listed here with its reason.

- golden_set.yaml (71): the calibration set; the keywords and rules were improved on its disagreements
  (80% agreement before, 98.6% after).
- holdout_set.yaml (30): judged by another expert, and run only once the rules were settled (100% then);
  a rule change must never be tuned on it, or it stops measuring how well the rules generalise.

Both run through triage as it runs, with both layers (the model included). Where a rule changed on purpose in
December 2026 (the factories selected in October 2025 take referrals, an antenna's country is tied to its
factory, a tie goes to the more specialised partner, a declared dual use goes to staff), the expected outcome was
changed and the entry says why (`changed:`). The judgement of every application measured without declared sectors
and in every language is the evaluation set's (`make eval`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from contracts import reference
from contracts.events import ApplicationSubmitted
from services.routing.handlers import load_policy as routing_policy, when_application_scored_decide_route
from services.triage import semantic
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy as triage_policy
from tests.support.report import report

SETS = {"golden set": Path(__file__).with_name("golden_set.yaml"),
        "held-out set": Path(__file__).with_name("holdout_set.yaml")}
REQUIRED_AGREEMENT = 0.95

TOLERATED = {
    "weber-soehne-ki-einfuehren": "A vague text ('Digitalisierung mit KI'): the model reads its one sentence as "
                                  "closest to health, with nothing in the vocabulary to say otherwise.",
    "banque-meuse-aml-graph": "A graph neural 'network' of bank accounts: the model ranks energy (power networks) "
                              "second, which confirms the weak word 'réseaux'; the own-country rule then sends it "
                              "to the German factory, which names energy.",
    "lumipath-digital-pathology": "BSC and PIAST-AI both name health and life sciences as their focus; the expert "
                                  "chose BSC, the rules see a tie and send it to staff, who choose.",
}


def decide(entry: dict) -> tuple[str, str | None]:
    application = {key: entry[key] for key in ("company", "contact", "project", "consent")}
    submitted = ApplicationSubmitted(application_id=entry["id"], submitted_at=datetime.now(UTC), channel="api",
                                     **application)
    scored = when_application_submitted_score_it(submitted, reference.load(), triage_policy(), semantic.layer())
    decision = when_application_scored_decide_route(scored, reference.load(), routing_policy())
    return decision.outcome, decision.factory_id


@pytest.mark.parametrize("name", SETS)
def test_the_rules_agree_with_the_experts(name):
    entries = yaml.safe_load(SETS[name].read_text(encoding="utf-8"))
    mismatches = {}
    for entry in entries:
        expected = (entry["expected"]["outcome"], entry["expected"].get("factory_id"))
        if (got := decide(entry)) != expected:
            mismatches[entry["id"]] = f"expected {expected}, decided {got}"
    agreement = 1 - len(mismatches) / len(entries)
    report(f"{name}: {len(entries) - len(mismatches)} of {len(entries)} agree ({agreement:.1%})"
           + "".join(f"; tolerated {application_id}: {difference}" for application_id, difference in mismatches.items()))
    assert set(mismatches) <= set(TOLERATED), "a disagreement that is not listed with its reason"
    assert agreement >= REQUIRED_AGREEMENT
