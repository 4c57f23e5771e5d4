"""Words that look like a sector but are not: each of these once gave a wrong sector, or declined a civilian
project as military. The expected sectors are written next to each text."""

from __future__ import annotations

import pytest

from contracts import reference
from services.triage.classify import classify
from services.triage.domain import score
from services.triage.policy import load_policy

POLICY = load_policy()
REFERENCE = reference.load()


def sectors_of(text: str) -> set[str]:
    return {finding.sector for finding in classify([], text, POLICY)}


@pytest.mark.parametrize(("text", "expected"), [
    ("Cyber defence for the IT systems of Luxembourg banks", {"cybersecurity", "finance"}),
    ("AI ad targeting for online shops", set()),
    ("Calcul de structures en béton armé pour ponts", {"engineering"}),
    ("An Armenian language model", {"language"}),
    ("Assistant pour avocats de la défense pénale", {"legal"}),
    ("KI für Strafverteidigung in Anwaltskanzleien", {"legal"}),
    ("Fundamental research on retail forecasting", set()),
    ("AI to help investigators of road accidents", set()),
    ("Windows desktop assistant for accountants", set()),
    ("Impatient customers in call centres", set()),
])
def test_a_civilian_text_finds_only_its_own_sectors(text, expected):
    assert sectors_of(text) == expected


@pytest.mark.parametrize("text", [
    "Target recognition for military drones",
    "Optimisation de la logistique des forces armées",
    "Automatische Zielerfassung für Waffensysteme der Bundeswehr",
])
def test_a_military_purpose_is_recognised_in_each_language(text):
    scores = score(declared=[], text=text, data_readiness="ready", stage="pilot", country="LU",
                   reference=REFERENCE, policy=POLICY)
    assert scores.flags == ("military",)


def test_health_and_life_sciences_together_cost_one_penalty():
    # Given a genomics lab for hospitals, with no L-AIF priority sector
    scores = score(declared=[], text="Genomics for hospital health services", data_readiness="ready",
                   stage="pilot", country="LU", reference=REFERENCE, policy=POLICY)
    # Then one rule names both sectors and takes 20 points once
    assert [(r.points, r.reason.split(";")[0]) for r in scores.priority] == [
        (-20, "Sectors 'health' and 'life-sciences' are not L-AIF priorities")]
