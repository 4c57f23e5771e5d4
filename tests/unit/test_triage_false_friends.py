"""Words that look like a sector but are not, and military purposes told apart from civilian texts that only
sound military: triage with both layers, as it runs. The expected result is written next to each text."""

from __future__ import annotations

import pytest

from contracts import reference
from services.triage import semantic
from services.triage.domain import score
from services.triage.policy import load_policy

POLICY = load_policy()
REFERENCE = reference.load()


@pytest.fixture(scope="module")
def model():
    return semantic.layer()


def scored(model, title: str, summary: str = ""):
    return score(declared=[], title=title, summary=summary, data_readiness="ready", stage="pilot", country="LU",
                 reference=REFERENCE, policy=POLICY, semantic=model)


@pytest.mark.parametrize(("title", "summary", "expected"), [
    ("Cyber defence for the IT systems of Luxembourg banks",
     "We detect intrusions and malware in the networks of private banks.", {"cybersecurity"}),
    ("Calcul de structures en béton armé pour ponts",
     "Nous voulons accélérer le calcul des ponts en béton armé par éléments finis.", {"engineering"}),
    ("Assistant pour avocats de la défense pénale",
     "Un outil qui aide les avocats à préparer la défense de leurs clients devant le tribunal.", {"legal"}),
    ("Latent space exploration for fashion design",
     "Our designers explore the latent space of a generative model trained on our pattern archive.", set()),
    ("Orbital fracture detection on emergency CT scans",
     "Radiologists in the emergency department miss small orbital fractures at night.", {"health"}),
], ids=["cyber defence", "béton armé", "défense pénale", "latent space", "orbital fracture"])
def test_a_civilian_text_finds_its_own_sectors_and_no_other(model, title, summary, expected):
    found = {finding.sector for finding in scored(model, title, summary).sectors}
    assert expected <= found and not found & {"defence", "space"}


@pytest.mark.parametrize(("title", "summary"), [
    ("Target recognition for military drones",
     "We train models that recognise and track targets for the weapons of the armed forces."),
    ("Optimisation de la logistique de l'armée de terre",
     "Nous voulons prévoir les besoins en munitions et en pièces des régiments de l'armée de terre."),
    ("Automatische Zielerfassung für Waffensysteme der Bundeswehr",
     "Wir entwickeln die Zielerfassung für die Waffensysteme der Streitkräfte auf dem Gefechtsfeld."),
    ("Reconnaissance missions and target tracking for a national army",
     "The ministry of defence asked us to track targets in the video of its reconnaissance drones."),
], ids=["English", "French", "German", "army as the client"])
def test_a_military_purpose_is_declined_in_each_language(model, title, summary):
    scores = scored(model, title, summary)
    assert "military" in scores.flags
    assert any(signal.flag == "military" and signal.evidence for signal in scores.signals)


@pytest.mark.parametrize(("title", "summary"), [
    ("Visitor flows in our war-history museum",
     "The museum shows the history of the Battle of the Bulge; we want to forecast visitors and plan guides."),
    ("Mehr Verkauf von Panzerglas-Schutzfolien",
     "Wir verkaufen Panzerglas für Smartphones in 40 Filialen und wollen die Nachfrage vorhersagen."),
    ("Qualitätskontrolle in unserer Waffelfabrik", "Kameras prüfen jede Waffel am Ende der Produktionslinie."),
    ("Better defence against fraud for online shops",
     "We want to stop card fraud in the payments of small online shops."),
], ids=["war-history museum", "Panzerglas", "Waffelfabrik", "defence against fraud"])
def test_a_civilian_text_with_military_looking_words_is_not_declined(model, title, summary):
    assert "military" not in scored(model, title, summary).flags


def test_one_ambiguous_cue_goes_to_staff_with_the_cue_named(model):
    # Given a drone maker whose detection system is sold to airports and, it says, to armed forces
    scores = scored(model, "Detecting unauthorised drones around airports",
                    "Our radar and camera system spots small drones near runways. Airports use it today, and the "
                    "armed forces have asked for a version.")
    # Then it is a possible dual use, not a decline, and the reason names the words
    assert "dual-use" in scores.flags and "military" not in scores.flags
    assert "armed forces" in next(s.reason for s in scores.signals if s.flag == "dual-use")


def test_health_and_life_sciences_together_cost_one_penalty(model):
    # Given a genomics lab for hospitals, with no L-AIF priority sector
    scores = score(declared=["health", "life-sciences"], title="Genomics for hospital patients",
                   summary="Sequencing the genomes of patients to find the cause of rare diseases.",
                   data_readiness="ready", stage="pilot", country="LU", reference=REFERENCE, policy=POLICY)
    # Then one rule names both sectors and takes 20 points once
    assert [(r.points, r.reason.split(";")[0]) for r in scores.priority] == [
        (-20, "Sectors 'health' and 'life-sciences' are not among the L-AIF priorities")]
