"""The evaluation set: applications in plain prose, each with what an intake expert expects, read and checked.

A case is an application exactly as `POST /v1/applications` takes it (company, contact, project, consent;
never any declared sector) plus the expert's judgement:

    expected:
      sectors: [agrifood]            # the sectors an expert tags: a classifier must find each of them
      also: [climate]                # sectors an expert would not object to (neither found nor missed)
      outcomes: [forward:it4lia, forward:onehealth-ai]   # every acceptable decision: accept_local,
                                     # forward:<factory-id>, decline, review
    kind: plain | misleading | military | dual-use
    language: it                     # the language the project is written in (ISO 639-1)
    why: the expert's reasoning in one or two sentences
    source: the real kind of project it is written from

`split.yaml` lists the test half (run once, at the end, never tuned on); every other case is in the dev half.
`python -m eval.cases` checks every file under eval/cases/ and prints the counts; it names each bad field.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

CASES_DIR = Path(__file__).parent / "cases"
SPLIT_FILE = Path(__file__).parent / "split.yaml"
KINDS = ("plain", "misleading", "military", "dual-use")
LANGUAGES = ("en", "fr", "de", "lb", "it", "es", "pt", "nl", "pl", "el", "sv", "fi", "da", "cs", "sk", "sl", "hr",
             "bg", "ro", "lt", "lv", "et", "hu")


@dataclass(frozen=True)
class Case:
    id: str
    language: str
    kind: str
    application: dict
    sectors: tuple[str, ...]
    also: tuple[str, ...]
    outcomes: tuple[str, ...]
    why: str
    source: str
    split: str
    file: str


def _problems(raw: dict, sectors: set[str], factories: set[str]) -> list[str]:
    from services.intake.applications.requests import SubmitApplication

    problems = []
    for key in ("id", "language", "kind", "company", "contact", "project", "consent", "expected", "why", "source"):
        if key not in raw:
            problems.append(f"{key}: missing")
    if problems:
        return problems
    try:
        SubmitApplication.model_validate({key: raw[key] for key in ("company", "contact", "project", "consent")})
    except ValidationError as error:
        problems += [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
    if raw["project"].get("declared_sectors"):
        problems.append("project.declared_sectors: the evaluation set declares no sector")
    if raw["language"] not in LANGUAGES:
        problems.append(f"language: {raw['language']!r} is not one of {', '.join(LANGUAGES)}")
    if raw["kind"] not in KINDS:
        problems.append(f"kind: {raw['kind']!r} is not one of {', '.join(KINDS)}")
    expected = raw["expected"]
    for key in ("sectors", "also"):
        for sector in expected.get(key, []):
            if sector not in sectors:
                problems.append(f"expected.{key}: {sector!r} is not a sector of the vocabulary")
    if not expected.get("outcomes"):
        problems.append("expected.outcomes: at least one acceptable outcome")
    for outcome in expected.get("outcomes", []):
        name, _, factory = outcome.partition(":")
        if name not in ("accept_local", "forward", "decline", "review"):
            problems.append(f"expected.outcomes: {outcome!r} is no outcome")
        elif name == "forward" and factory not in factories:
            problems.append(f"expected.outcomes: {outcome!r} names no factory of the registry")
        elif name != "forward" and factory:
            problems.append(f"expected.outcomes: {outcome!r}: only a forward names a factory")
    return problems


def load(directory: Path = CASES_DIR) -> list[Case]:
    """Every case of every file, checked; raises ValueError naming each file, case and field that is wrong."""
    from contracts import reference

    ref = reference.load()
    sectors = set(ref.sectors)
    factories = {factory.id for factory in ref.factories}
    test_half = set(yaml.safe_load(SPLIT_FILE.read_text(encoding="utf-8"))["test"]) if SPLIT_FILE.exists() else set()
    cases, problems, seen = [], [], set()
    for path in sorted(directory.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            case_id = raw.get("id", "?")
            if case_id in seen:
                problems.append(f"{path.name}: {case_id}: id: used twice")
            seen.add(case_id)
            problems += [f"{path.name}: {case_id}: {p}" for p in _problems(raw, sectors, factories)]
            if not problems:
                expected = raw["expected"]
                cases.append(Case(
                    id=case_id, language=raw["language"], kind=raw["kind"],
                    application={key: raw[key] for key in ("company", "contact", "project", "consent")},
                    sectors=tuple(expected.get("sectors", ())), also=tuple(expected.get("also", ())),
                    outcomes=tuple(expected["outcomes"]), why=raw["why"], source=raw["source"],
                    split="test" if case_id in test_half else "dev", file=path.name))
    if problems:
        raise ValueError("\n".join(problems))
    return cases


def main() -> int:
    try:
        cases = load(Path(sys.argv[1]) if len(sys.argv) > 1 else CASES_DIR)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{len(cases)} cases")
    for title, counter in (("language", Counter(c.language for c in cases)), ("kind", Counter(c.kind for c in cases)),
                           ("split", Counter(c.split for c in cases)),
                           ("expected sector", Counter(s for c in cases for s in c.sectors)),
                           ("outcome", Counter(o.partition(':')[0] for c in cases for o in c.outcomes[:1]))):
        print(f"{title}: " + ", ".join(f"{key} {n}" for key, n in counter.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
