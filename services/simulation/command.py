"""The dry run's command: the decision each application of a file would get, under the current policies or under
changed files, and with --compare which decisions change. A policy change is an edit of a YAML file of the factory
profile (triage/policy.yaml, routing/policy.yaml) or of the reference data
(contracts/data/ai_factories.yaml); before it is applied, staff try it on past applications:

    python -m services.simulation applications.yaml --routing-policy new-routing.yaml --compare

and the classifier of an earlier triage policy against today's (every changed decision is listed):

    python -m services.simulation applications.yaml \
        --triage-policy profiles/<factory>/triage/policies/triage-2026.11.3.yaml --compare

or one application over HTTP: intake's `POST /v1/simulate` (staff only).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from contracts.config_files import ConfigFileError, parse_yaml, validate
from services.intake.applications.requests import SubmitApplication
from services.simulation.dry_run import Policies, SimulationError, decide

APPLICATION_KEYS = ("company", "contact", "project", "consent")


def read_applications(path: Path) -> list[tuple[str, SubmitApplication]]:
    """(label, application) for each application of a JSON or YAML file holding one or a list. Other keys of an
    entry (id, story, expected, ...) are ignored; the label is its id, else the company's name."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SimulationError(f"{path}: cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise SimulationError(f"{path}: not UTF-8 text") from None
    try:
        content = json.loads(text) if path.suffix.lower() == ".json" else parse_yaml(text, source=str(path))
    except json.JSONDecodeError as error:
        raise SimulationError(f"{path}: not valid JSON: {error}") from None
    except ConfigFileError as error:
        raise SimulationError(str(error)) from None
    entries = content if isinstance(content, list) else [content]
    if not entries or entries == [None]:
        raise SimulationError(f"{path}: holds no application")
    applications = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: application {number}" if isinstance(content, list) else str(path)
        if not isinstance(entry, dict):
            raise SimulationError(f"{where}: expected a mapping with {', '.join(APPLICATION_KEYS)}, "
                                  f"got {type(entry).__name__}")
        company = entry.get("company")
        label = str(entry.get("id") or (company.get("name") if isinstance(company, dict) else None)
                    or f"application {number}")
        if label != f"application {number}":
            where += f" ({label})"
        try:
            application = validate({k: entry[k] for k in APPLICATION_KEYS if k in entry}, SubmitApplication,
                                   source=where)
        except ConfigFileError as error:
            raise SimulationError(str(error)) from None
        applications.append((label, application))
    return applications


def _decision(result: dict) -> str:
    return f"{result['outcome']} {result['factory_id'] or '-'}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.simulation",
        description="Dry run: the decision each application would get. Nothing is stored or published.")
    parser.add_argument("file", type=Path, metavar="FILE",
                        help="JSON or YAML file with one application or a list (the golden set's format works)")
    parser.add_argument("--triage-policy", type=Path, metavar="P", help="triage policy file (default: the current)")
    parser.add_argument("--routing-policy", type=Path, metavar="P", help="routing policy file (default: the current)")
    parser.add_argument("--reference", type=Path, metavar="R", help="reference data file (default: the current)")
    parser.add_argument("--compare", action="store_true",
                        help="show the decision under the current policies next to the one under the given files")
    args = parser.parse_args(argv)

    try:
        applications = read_applications(args.file)
        given = Policies.load(args.triage_policy, args.routing_policy, args.reference)
        current = Policies.load() if args.compare else None
    except SimulationError as error:
        print(f"simulation: error: {error}", file=sys.stderr)
        return 2

    width = max(len(label) for label, _ in applications)
    if current is None:
        for label, application in applications:
            print(f"{label:<{width}}  {_decision(decide(application, given))}")
        return 0

    changed = 0
    rows = [(label, _decision(decide(application, current)), _decision(decide(application, given)))
            for label, application in applications]
    before_width = max(len(before) for _, before, _ in rows)
    for label, before, after in rows:
        changed += before != after
        print(f"{label:<{width}}  {before:<{before_width}}  ->  {after}{'   (changed)' if before != after else ''}")
    print(f"{changed} of {len(rows)} decisions change ({current.version} -> {given.version})")
    return 0

