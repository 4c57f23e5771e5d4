"""The factories are data: adding one (the six of October 2025 are in the reference file, not yet in the
network) is an edit of contracts/data/ai_factories.yaml, and the rules route to it without a code change."""

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


def with_factory(tmp_path: Path, factory_id: str) -> reference.Reference:
    """The reference file with one of the later factories moved into the network, as an operator would."""
    raw = yaml.safe_load(reference.DATA_FILE.read_text(encoding="utf-8"))
    raw["ai_factories"].append(next(f for f in raw["later_ai_factories"] if f["id"] == factory_id))
    raw["version"] = "2026-12-01"
    path = tmp_path / "ai_factories.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return reference.load(path)


def test_the_network_has_the_home_factory_and_twelve_partners():
    facts = reference.load()
    assert facts.home_factory == "lux-aif" and len(facts.partners) == 12
    assert "NO" in facts.factory("lumi-aif").partner_countries  # Norway, not YAML's false


def test_a_new_factory_is_a_data_change(tmp_path: Path):
    # Given a Dutch greenhouse project: agrifood, which four partners name as a focus, so staff would choose
    assert route(GRONINGEN_GREENHOUSE, reference.load()) == ("review", None)
    # When the Dutch AI Factory (selected in October 2025) joins the network in the data file
    facts = with_factory(tmp_path, "nlaif")
    # Then the project goes to the factory of its own country, with no code changed
    assert facts.version == "2026-12-01" and len(facts.partners) == 13
    assert route(GRONINGEN_GREENHOUSE, facts) == ("forward", "nlaif")
