"""Triage reads a project's text in English, French or German and names its sectors, with the words as evidence."""

from __future__ import annotations

from contracts import reference
from services.triage.classify import classify
from services.triage.domain import score
from services.triage.model import Finding
from services.triage.policy import load_policy

POLICY = load_policy()
REFERENCE = reference.load()


def sectors_of(text: str, declared: list[str] | None = None) -> dict[str, tuple[str, ...]]:
    return {finding.sector: finding.evidence for finding in classify(declared or [], text, POLICY)}


def test_an_english_summary_about_reinsurance_fraud_reveals_insurance_and_cybersecurity():
    # Given Moselle Re, a Luxembourg reinsurer, describing its project in English
    text = "We want to detect fraud in reinsurance claims with ten years of data."
    # When triage reads it
    sectors = sectors_of(text)
    # Then it finds insurance and cybersecurity, each with the words that point to it
    assert sectors == {"insurance": ("reinsur", "claims"), "cybersecurity": ("fraud",)}


def test_a_french_summary_with_accents_is_read_like_plain_letters():
    # Given Sol'Air, a Luxembourg start-up, writing in French with accents
    text = "Prévision de la production d'énergie solaire pour le réseau électrique"
    # When triage reads it
    sectors = sectors_of(text)
    # Then 'énergie' and 'réseau électrique' count as the unaccented stems of the energy sector
    assert sectors == {"energy": ("energie", "reseau electrique", "solaire")}


def test_capital_accented_letters_read_the_same_as_small_ones():
    # Given the same French words, once in small letters and once shouted in capitals
    quiet, shouted = "Stockage d'énergie", "STOCKAGE D'ÉNERGIE"
    # When triage reads both
    # Then both point to energy with the same evidence
    assert sectors_of(quiet) == sectors_of(shouted) == {"energy": ("energie",)}


def test_plurals_are_found_by_the_stem():
    # Given a fund manager writing about several banks, funds and satellites
    text = "Risk models for banks and investment funds, fed by satellites"
    # When triage reads it
    sectors = sectors_of(text)
    # Then the plurals count as the singular stems
    assert sectors == {"finance": ("bank", "investment", "investment fund"), "space": ("satellit",)}


def test_a_german_compound_word_is_matched_by_a_long_stem():
    # Given a German grid operator whose words are compounds
    text = "Betrugserkennung für Stromnetzbetreiber"
    # When triage reads it
    sectors = sectors_of(text)
    # Then 'Betrug', 'Stromnetz' and 'Netzbetreiber' are found inside the compounds
    assert sectors == {"cybersecurity": ("betrug",), "energy": ("stromnetz", "netzbetreiber")}


def test_a_short_stem_does_not_match_inside_another_word():
    # Given a German museum building a database ('Datenbank' ends in 'bank')
    text = "Eine Datenbank für die Sammlungen unserer Museen"
    # When triage reads it
    # Then no finance sector is found: the short stem 'bank' must start a word
    assert sectors_of(text) == {}


def test_a_declared_sector_is_kept_even_without_evidence():
    # Given Odyssea NLP declaring 'culture-creative', a sector the text never names in words triage knows
    text = "We train a Greek language model for museums."
    # When triage reads it
    findings = classify(["culture-creative"], text, POLICY)
    # Then the declared sector is kept, marked as declared, with no evidence; the text adds 'language'
    assert findings == (
        Finding("culture-creative", declared=True, evidence=()),
        Finding("language", declared=False, evidence=("language model",)),
    )


def test_a_declared_sector_also_found_in_the_text_carries_both():
    # Given a bank that declares 'finance' and also writes about payments
    findings = classify(["finance"], "Real-time payment screening for a private bank", POLICY)
    # Then the finding is declared and lists the words of the text
    assert findings == (Finding("finance", declared=True, evidence=("bank", "payment")),)


def test_a_military_text_raises_the_military_flag():
    # Given Kastell Systems describing drone targeting for weapons, in German
    text = "Automatische Zielerfassung für militärische Drohnen und Waffensysteme auf dem Gefechtsfeld."
    # When triage scores it
    scores = score(declared=[], text=text, data_readiness="ready", stage="pilot", country="DE",
                   reference=REFERENCE, policy=POLICY)
    # Then it finds the defence sector with its words, and raises the 'military' flag
    assert [(f.sector, f.evidence) for f in scores.sectors] == [("defence", ("militar", "waffe", "gefechtsfeld", "zielerfassung"))]
    assert scores.flags == ("military",)


def test_a_civilian_text_raises_no_flag():
    # Given a solar park operator
    scores = score(declared=["energy"], text="Forecasting the output of our solar parks", data_readiness="ready",
                   stage="pilot", country="LU", reference=REFERENCE, policy=POLICY)
    # Then no flag constrains routing
    assert scores.flags == ()
