"""The lexical layer reads the sectors of a text in any language of the network: inflected forms through their
lemma, compounds split into known words, phrases that only look like a sector's words set aside, weak words
counted only beside another cue; each sector with the words that show it."""

from __future__ import annotations

import dataclasses

import pytest

from services.triage.classify import classify
from services.triage.keywords import classify as keyword_classify
from services.triage.language import read
from services.triage.policy import load_policy

POLICY = load_policy()
LEXICAL = dataclasses.replace(POLICY.classifier, layers="lexical")


def sectors(title: str, summary: str = "", declared: list[str] | None = None) -> dict[str, tuple[str, ...]]:
    found = classify(declared or [], title, summary, LEXICAL, None, POLICY.home_link)
    return {finding.sector: finding.evidence for finding in found.findings}


@pytest.mark.parametrize(("title", "summary", "sector", "words"), [
    ("Previsione della peronospora nei vigneti", "Vogliamo aiutare i viticoltori a trattare solo quando serve.",
     "agrifood", "vigneti"),
    ("Prognoza produkcji energii z farm fotowoltaicznych", "Chcemy przewidywać produkcję elektrowni słonecznych.",
     "energy", "fotowoltaicznych"),
    ("Ανίχνευση απάτης στις αποζημιώσεις ασφαλίσεων", "Θέλουμε να βοηθήσουμε τις ασφαλιστικές εταιρείες.",
     "insurance", "ασφαλίσεων"),
    ("Détection des cyberattaques dans nos réseaux", "Nous voulons repérer les rançongiciels plus tôt.",
     "cybersecurity", "cyberattaques"),
], ids=["Italian plural", "Polish genitive", "Greek genitive", "French plural"])
def test_an_inflected_form_is_read_through_its_lemma(title, summary, sector, words):
    # Given a project written in another language than English, with inflected words
    found = sectors(title, summary)
    # Then the sector is found, with the words as the applicant wrote them
    assert sector in found and words in found[sector]


def test_a_german_compound_is_split_into_known_words():
    # Given 'Betrugserkennung' (fraud detection), a compound no vocabulary lists whole
    found = sectors("Betrugserkennung für Zahlungsdienstleister", "Wir wollen verdächtige Zahlungen früher sehen.")
    # Then its part 'Betrug' shows cybersecurity
    assert "Betrugserkennung" in found["cybersecurity"]


def test_a_word_inside_a_compound_that_does_not_split_there_is_not_read():
    # Given a waffle factory ('Waffelfabrik' holds the letters of 'Waffe', weapon, but splits into Waffel + Fabrik)
    found = sectors("Qualitätskontrolle in unserer Waffelfabrik", "Kameras prüfen jede Waffel am Ende der Linie.")
    # Then nothing military is read, and the factory shows manufacturing
    assert "defence" not in found and "manufacturing" in found


def test_case_and_accents_do_not_matter():
    written = "Nous voulons prévoir le coût des sinistres de réassurance après les tempêtes."
    assert set(sectors(written)) == set(sectors(written.upper())) == set(sectors("nous voulons prevoir le cout des "
                                                                                 "sinistres de reassurance apres "
                                                                                 "les tempetes.")) >= {"insurance"}


@pytest.mark.parametrize(("title", "summary", "not_sector"), [
    ("Exploring the latent space of our design archive", "Designers browse a generative model's latent space.",
     "space"),
    ("Assurer la qualité de nos pièces usinées", "Nous voulons assurer la qualité des pièces en fin de ligne.",
     "insurance"),
], ids=["latent space", "assurer la qualité"])
def test_a_phrase_that_only_looks_like_a_sector_is_set_aside(title, summary, not_sector):
    assert not_sector not in sectors(title, summary)


def test_a_weak_word_alone_shows_nothing():
    # Given the 'vulnerability' of coastal towns to floods (a weak word for cybersecurity, and no other cue)
    found = sectors("Vulnerability of coastal towns to storm floods", "Mapping which streets flood first.")
    # Then cybersecurity is not found
    assert "cybersecurity" not in found


def test_a_declared_sector_is_kept_and_carries_the_texts_words():
    # Given a reinsurer declaring insurance and writing about claims
    found = classify(["insurance"], "Réassurance", "Nous voulons prévoir le coût des sinistres.", LEXICAL, None)
    # Then the declared finding says so, with the words of the text
    assert found.findings[0].sector == "insurance" and found.findings[0].layer == "declared"
    assert "sinistres" in found.findings[0].evidence


def test_the_text_languages_are_told():
    assert read("Prévision des crues", "Nous voulons prévoir les crues de la Moselle.").languages[0] == "fr"
    assert read("Hochwasservorhersage", "Mir wëllen d'Iwwerschwemmungen vun der Sauer virausgesinn.").languages[0] == "lb"


def test_a_policy_of_the_keyword_era_still_classifies_as_it_did():
    # Given the keyword policy of triage-2026.11.3, kept for dry runs that compare
    from services.triage.policy import load_policy as load

    legacy = load(load_policy.__globals__["DEFAULT_POLICY"].parent / "policies" / "triage-2026.11.3.yaml")
    # Then its classifier finds what it found then, with its stems as evidence
    found = {f.sector: f.evidence for f in keyword_classify([], "Détection de fraude dans les sinistres", legacy)}
    assert found == {"insurance": ("sinistre",), "cybersecurity": ("fraud", "fraude")}


def test_the_same_text_gets_the_same_sectors_whatever_the_process(tmp_path):
    # Given the same application classified in two processes whose string hashing differs
    import os
    import subprocess
    import sys

    program = ("from services.triage.classify import classify; from services.triage.policy import load_policy; "
               "import dataclasses; p = load_policy(); s = dataclasses.replace(p.classifier, layers='lexical'); "
               "f = classify([], 'Prévision des rendements et des maladies dans nos vergers et vignobles', "
               "'Nous voulons aider les producteurs de fruits à traiter moins, avec la météo et les relevés de "
               "pièges, pour les banques alimentaires et les coopératives.', s, None).findings; "
               "print([(x.sector, x.evidence) for x in f])")
    runs = [subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")]
    # Then the findings, and their order, are the same
    assert runs[0] == runs[1] and runs[0].strip() != "[]"
