"""The factories are data: whether routing may choose one is its `referrals_since` in
contracts/data/ai_factories.yaml (the six selected in October 2025 included), and the rules route to a factory
without a code change."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from contracts import reference
from contracts.events import ApplicationSubmitted
from services.routing.handlers import load_policy as routing_policy, when_application_scored_decide_route
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy as triage_policy

GRONINGEN_GREENHOUSE = {
    "company": {"name": "Kas & Kiem", "country": "NL", "size": "sme"},
    "contact": {"name": "Sanne de Vries", "email": "sanne@kasenkiem.example", "language": "en"},
    "project": {"title": "Predicting crop stress in greenhouses",
                "summary": "We grow tomatoes in 40 greenhouses and want to predict crop stress from sensor and "
                           "camera data to steer irrigation. Five seasons of data are ready; a pilot runs.",
                "declared_sectors": ["agrifood"], "data_readiness": "ready", "stage": "pilot"},
    "consent": {"share_with_partner_factories": True},
}


def route(application: dict, facts: reference.Reference) -> tuple[str, str | None]:
    submitted = ApplicationSubmitted(application_id="KAS-1", submitted_at=datetime.now(UTC), channel="api",
                                     **application)
    scored = when_application_submitted_score_it(submitted, facts, triage_policy())
    decision = when_application_scored_decide_route(scored, facts, routing_policy())
    return decision.outcome, decision.factory_id


def without_referrals(tmp_path: Path, factory_id: str) -> reference.Reference:
    """The reference file with a factory that takes no referrals (yet), as an operator would write it."""
    raw = yaml.safe_load(reference.DATA_FILE.read_text(encoding="utf-8"))
    for factory in [*raw["ai_factories"], *raw["later_ai_factories"]]:
        if factory["id"] == factory_id:
            del factory["referrals_since"]
    raw["version"] = "2026-12-01"
    path = tmp_path / "ai_factories.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return reference.load(path)


def test_the_network_has_the_home_factory_and_eighteen_partners():
    facts = reference.load()
    assert facts.home_factory == "lux-aif" and len(facts.partners) == 18
    assert facts.factory("nlaif").referrals_since == "2025-10-10"  # selected later, chosen like the others
    assert "BE" in facts.factory("jaif").antenna_countries and facts.factory("jaif").tied_to("BE")
    assert "NO" in facts.factory("lumi-aif").partner_countries  # Norway, not YAML's false


def test_whether_a_factory_takes_referrals_is_a_data_change(tmp_path: Path):
    # Given a Dutch greenhouse project: agrifood, which the Dutch AI Factory (selected in October 2025) focuses on
    assert route(GRONINGEN_GREENHOUSE, reference.load()) == ("forward", "nlaif")
    # When the data file says the Dutch AI Factory takes no referrals
    facts = without_referrals(tmp_path, "nlaif")
    # Then it can no longer be chosen, with no code changed: the project goes to the most specialised of the others
    assert facts.version == "2026-12-01" and len(facts.partners) == 17
    assert route(GRONINGEN_GREENHOUSE, facts) == ("forward", "it4lia")
