"""Each YAML file that triage, intake, the registry of AI factories and the factory profile hold has a model: a
value of the wrong type, or a misspelt key, stops the loader with the file, the key and what it expected, instead of
passing unnoticed until the first decision."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from contracts import profile, reference
from contracts.config_files import ConfigFileError, FileModel, IsoDate, Items, Label, load_yaml, validate
from infra import samples
from services.intake.journey import datasets, providers
from services.simulation.command import read_applications
from services.triage import lexicon, semantic
from services.triage.policy import DEFAULT_POLICY, load_policy

pytestmark = pytest.mark.unit

VOCABULARY = lexicon.VOCABULARY_DIR
LEGACY_POLICY = DEFAULT_POLICY.parent / "policies" / "triage-2026.11.3.yaml"
PROFILE = profile.DEFAULT_PROFILE / "profile.yaml"


def model_loader(model: type) -> Callable[[Path], object]:
    """The loader of a file whose module reads it at one fixed place: the model, as that module applies it."""
    return lambda path: load_yaml(path, model)


def profile_loader(path: Path) -> object:
    """The factory profile whose `profile.yaml` is `path`, as the services select it (by its directory)."""
    return profile.load(path.parent)


def applications_file(directory: Path) -> Path:
    """Moselle Re's application, as staff would give it to a dry run."""
    path = directory / "past.yaml"
    path.write_text(yaml.safe_dump([samples.MOSELLE_RE.body], allow_unicode=True), encoding="utf-8")
    return path


def copy_with(directory: Path, source: Path, old: str, new: str) -> Path:
    """`source` with its first `old` written `new`, as an operator's slip would leave it."""
    text = source.read_text(encoding="utf-8")
    assert old in text, f"{source.name} no longer holds {old!r}"
    copy = directory / source.name
    copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


# (the file, its loader, what is written, what is written instead, the problem the error names)
WRONG_TYPES = {
    "a registry date written as a word": (
        reference.DATA_FILE, reference.load, "referrals_since: '2024-12-10'", "referrals_since: soon",
        "ai_factories.0.referrals_since: Input should be a date written YYYY-MM-DD (got 'soon')"),
    "Norway unquoted, which YAML reads as false": (
        reference.DATA_FILE, reference.load, "  - 'NO'\n", "  - NO\n",
        "ai_factories.3.partners.3: Input should be a valid string (got False)"),
    "policy points written as a word": (
        DEFAULT_POLICY, load_policy, "priority_cap: 60", "priority_cap: sixty",
        "priority_cap: Input should be a valid integer (got 'sixty')"),
    "a policy share written as text": (
        DEFAULT_POLICY, load_policy, "keep_share: 0.7", "keep_share: '0.7'",
        "classifier.keep_share: Input should be a valid number (got '0.7')"),
    "a classifier layer misspelt": (
        DEFAULT_POLICY, load_policy, "layers: both", "layers: bothe",
        "classifier.layers: Input should be 'lexical', 'semantic' or 'both' (got 'bothe')"),
    "a legacy policy's points as a word": (
        LEGACY_POLICY, load_policy, "partner_focus_points: 30", "partner_focus_points: thirty",
        "partner_focus_points: Input should be a valid integer (got 'thirty')"),
    "a prototypes file's id as a number": (
        semantic.PROTOTYPES_FILE, model_loader(semantic.PrototypesFile), "source_id: prototypes", "source_id: 7",
        "source_id: Input should be a valid string (got 7)"),
    "a NACE division unquoted, which YAML reads as a number": (
        semantic.NACE_SECTORS_FILE, model_loader(semantic.NaceSectorsFile), "'01': agrifood", "01: agrifood",
        "divisions.1: Input should be a valid string (got 1)"),
    "a NACE level misspelt": (
        semantic.NACE_FILE, model_loader(semantic.NaceFile), "level: group", "level: grop",
        "activities.2.level: Input should be 'section', 'division', 'group' or 'class' (got 'grop')"),
    "a curated term written as a number": (
        VOCABULARY / "curated" / "en.yaml", model_loader(lexicon.CuratedFile), "weak: [health,", "weak: [12,",
        "sectors.health.weak.0: Input should be a valid string (got 12)"),
    "a EuroVoc microthesaurus id unquoted": (
        VOCABULARY / "eurovoc_sectors.yaml", model_loader(lexicon.EurovocSectorsFile), "'2416': finance",
        "2416: finance", "microthesauri.2416: Input should be a valid string (got 2416)"),
    "the dataset catalogue's sample flag as a word": (
        datasets.DEFAULT_CATALOGUE, datasets.load, "sample: true", "sample: 'yes'",
        "sample: Input should be a valid boolean (got 'yes')"),
    "a provider's languages as one word": (
        providers.DEFAULT_DIRECTORY, providers.load, "languages: [fr, en, de]", "languages: fr",
        "providers.0.languages: Input should be a valid list (got 'fr')"),
    "the profile's languages as one word": (
        PROFILE, profile_loader, "languages: [en, fr, de]", "languages: en",
        "languages: Input should be a valid list (got 'en')"),
}


@pytest.mark.parametrize(("source", "load", "old", "new", "problem"), WRONG_TYPES.values(), ids=WRONG_TYPES)
def test_a_value_of_the_wrong_type_is_refused_naming_the_file_the_key_and_the_type(
        tmp_path, source, load, old, new, problem):
    # Given a copy of a shipped file with one value of the wrong type
    copy = copy_with(tmp_path, source, old, new)

    # When it is loaded as the service loads it
    with pytest.raises(ConfigFileError) as refused:
        load(copy)

    # Then the error names the file, the key and what was expected instead of what was found
    assert str(refused.value) == f"{copy}: {problem}"


def test_an_application_of_the_wrong_type_in_a_dry_run_file_is_refused_naming_it(tmp_path):
    # Given Moselle Re's application with its declared sectors written as one word instead of a list
    copy = copy_with(tmp_path, applications_file(tmp_path), "declared_sectors:\n    - insurance\n",
                     "declared_sectors: insurance\n")

    # When staff give the file to a dry run
    with pytest.raises(ValueError) as refused:
        read_applications(copy)

    # Then the error names the file, the application, the field and the type it expected
    assert str(refused.value) == (f"{copy}: application 1 (Moselle Re): project.declared_sectors: "
                                  "Input should be a valid list (got 'insurance')")


MISSPELT = {
    "registry": (reference.DATA_FILE, reference.load, "  referrals_since:", "  referals_since:",
                 "ai_factories.0.referals_since: Extra inputs are not permitted"),
    "policy": (DEFAULT_POLICY, load_policy, "  keep_share:", "  keep_shares:",
               "classifier.keep_shares: Extra inputs are not permitted"),
    "curated terms": (VOCABULARY / "curated" / "en.yaml", model_loader(lexicon.CuratedFile), "\ncivilian:",
                      "\ncivillian:", "civillian: Extra inputs are not permitted"),
    "dataset catalogue": (datasets.DEFAULT_CATALOGUE, datasets.load, "  licence:", "  license:",
                          "datasets.0.license: Extra inputs are not permitted"),
    "provider directory": (providers.DEFAULT_DIRECTORY, providers.load, "  skills:", "  skill:",
                           "providers.0.skill: Extra inputs are not permitted"),
    "factory profile": (PROFILE, profile_loader, "\nshort_name:", "\nshortname:",
                        "shortname: Extra inputs are not permitted"),
}


@pytest.mark.parametrize(("source", "load", "old", "new", "problem"), MISSPELT.values(), ids=MISSPELT)
def test_a_misspelt_key_is_refused_not_taken_as_a_default(tmp_path, source, load, old, new, problem):
    # Given a copy of a shipped file with one key misspelt (its default would apply without a word)
    copy = copy_with(tmp_path, source, old, new)

    # When it is loaded, then the misspelt key is named
    with pytest.raises(ConfigFileError, match=re.escape(problem)):
        load(copy)


def test_a_missing_key_is_named(tmp_path):
    # Given the triage policy without its cap on priority points
    copy = copy_with(tmp_path, DEFAULT_POLICY, "priority_cap: 60\n", "")

    # When it is loaded, then the error names the key that is missing
    with pytest.raises(ConfigFileError) as refused:
        load_policy(copy)
    assert str(refused.value) == f"{copy}: priority_cap: Field required"


# Every YAML file the services read, with the loader that reads it.
SHIPPED = {
    reference.DATA_FILE: reference.load,
    DEFAULT_POLICY: load_policy,
    **{path: load_policy for path in sorted(LEGACY_POLICY.parent.glob("*.yaml"))},
    semantic.PROTOTYPES_FILE: model_loader(semantic.PrototypesFile),
    semantic.NACE_FILE: model_loader(semantic.NaceFile),
    semantic.NACE_SECTORS_FILE: model_loader(semantic.NaceSectorsFile),
    VOCABULARY / "eurovoc_sectors.yaml": model_loader(lexicon.EurovocSectorsFile),
    **{path: model_loader(lexicon.CuratedFile) for path in sorted((VOCABULARY / "curated").glob("*.yaml"))},
    datasets.DEFAULT_CATALOGUE: datasets.load,
    providers.DEFAULT_DIRECTORY: providers.load,
    PROFILE: profile_loader,
}
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_shipped_file_loads(path):
    assert SHIPPED[path](path) is not None


def test_no_yaml_file_of_these_folders_goes_without_a_model():
    folders = {path.parent for path in SHIPPED}
    assert {path for folder in folders for path in folder.glob("*.yaml")} <= set(SHIPPED)


def test_the_loaders_give_what_they_gave_before():
    # The same objects as the hand-written loaders built: tuples where they held tuples, the dataclasses' defaults
    policy = load_policy()
    assert isinstance(policy.home_link, tuple) and policy.classifier.keep_share == 0.7
    assert load_policy(LEGACY_POLICY).classifier is None and "defence" in load_policy(LEGACY_POLICY).keywords
    assert reference.load().factory("lumi-aif").partner_countries == ("CZ", "DK", "EE", "NO", "PL")
    assert len(semantic.prototypes()) > 200  # the team's sentences and NACE's groups
    assert len(lexicon.read_terms()) == 23  # a language a curated file, EuroVoc's terms in them
    assert len(read_applications(ROOT / "tests" / "unit" / "golden_set.yaml")) > 50


class Ticket(FileModel):
    """A small file of the kinds of values YAML gives."""

    share: float
    stops: Items[str] = ()
    issued: IsoDate = ""
    version: Label = ""


def test_what_yaml_naturally_gives_for_a_type_passes():
    # An integer for a float, a list for a tuple, unquoted dates for a date and for a version
    ticket = validate(yaml.safe_load("share: 2\nstops: [Esch, Belval]\nissued: 2026-12-06\nversion: 2026-12-01\n"),
                      Ticket, source="ticket.yaml")
    assert ticket == Ticket(share=2.0, stops=("Esch", "Belval"), issued="2026-12-06", version="2026-12-01")
    assert isinstance(ticket.share, float)


@pytest.mark.parametrize(("text", "problem"), [
    ("share: '2'", "share: Input should be a valid number (got '2')"),  # a string never becomes a number
    ("share: true", "share: Input should be a valid number (got True)"),
    ("share: 1\nissued: '2026-13-01'", "issued: Input should be a date written YYYY-MM-DD (got '2026-13-01')"),
    ("share: 1\nstops: Esch", "stops: Input should be a valid list (got 'Esch')"),
    ("- share: 1", "(the whole file): Input should be a valid dictionary"),
])
def test_what_yaml_gives_for_another_type_is_refused(text, problem):
    with pytest.raises(ConfigFileError) as refused:
        validate(yaml.safe_load(text), Ticket, source="ticket.yaml")
    assert str(refused.value) == f"ticket.yaml: {problem}"


def test_a_file_that_is_not_yaml_names_the_file(tmp_path):
    broken = tmp_path / "policy.yaml"
    broken.write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigFileError, match=r"policy\.yaml: not valid YAML"):
        load_policy(broken)
