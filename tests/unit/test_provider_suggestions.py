"""Which solution providers the matching step suggests, as stories: sector and language fit, skills the project
names, and the reasons the expert reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import samples
from services.intake.journey import datasets, providers

DIRECTORY = providers.load()


def suggested(sectors: list[str], language: str, summary: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.provider.id, s.reasons)
            for s in providers.suggest(DIRECTORY, sectors=sectors, language=language, summary=summary)]


def test_the_shipped_directory_and_catalogue_are_labelled_as_samples():
    assert DIRECTORY.sample and all("(sample)" in p.name for p in DIRECTORY.providers)
    catalogue = datasets.load()
    assert catalogue.sample and all("(sample)" in d.name for d in catalogue.datasets)


def test_a_french_reinsurer_detecting_fraud_gets_the_fraud_specialist_who_speaks_french_first():
    # Given Moselle Re: finance and insurance, writing in French about fraud in its claims
    body = samples.MOSELLE_RE.body
    # When providers are suggested
    found = suggested(["insurance", "finance"], body["contact"]["language"], body["project"]["summary"])
    # Then the fraud-detection provider comes first, and says why: sectors, the skill, the language
    first, reasons = found[0]
    assert first == "sample-ledgerlight"
    assert reasons == ("Works in insurance and finance, the project's sectors.",
                       "Has the skill the project names: fraud detection.",
                       "Works in French, the applicant's language.")
    # And the language model specialist, same sectors and language but no skill named, comes next
    assert found[1][0] == "sample-moselle-lingua"


def test_between_providers_of_the_same_sectors_the_one_speaking_the_applicants_language_ranks_first():
    # Given an environmental project from a German-speaking company, naming no skill; two providers work in
    # environment: Voltaic (German, English) and OrbitGrid (English, French)
    found = suggested(["environment"], "de", "Wir wollen den Wasserverbrauch unserer Region besser verstehen.")
    # Then Voltaic ranks first, and says it works in German
    assert [provider for provider, _ in found] == ["sample-voltaic", "sample-orbitgrid"]
    assert found[0][1] == ("Works in environment, the project's sector.", "Works in German, the applicant's language.")
    assert found[1][1] == ("Works in environment, the project's sector.",)


def test_a_skill_named_in_the_summary_suggests_a_provider_outside_the_projects_sectors():
    # Given a hospital's imaging project (health: no provider works in it) that names computer vision
    found = suggested(["health"], "en", "We want computer vision on our radiology images.")
    # Then the imaging provider is suggested for its skill alone, and the reason says so
    assert found == [("sample-orbitgrid", ("Has the skill the project names: computer vision.",
                                           "Works in English, the applicant's language."))]


def test_a_shared_language_alone_suggests_nobody():
    assert suggested(["agriculture"], "fr", "Nous voulons prévoir les récoltes de nos vignes.") == []


def test_a_directory_with_an_unknown_sector_is_refused_naming_it(tmp_path: Path):
    bad = tmp_path / "providers.yaml"
    bad.write_text("version: x\nproviders:\n- {id: a, name: A, sectors: [alchemy], languages: [en]}\n")
    with pytest.raises(ValueError, match="provider 'a': unknown sector"):
        providers.load(bad)


def test_the_datasets_of_the_projects_sectors_come_first():
    catalogue = datasets.load()
    assert catalogue.for_sectors(["energy"])[0].id == "sample-grid-load"
    with pytest.raises(KeyError, match="no dataset 'missing'"):
        catalogue.get("missing")
