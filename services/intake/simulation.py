"""Dry run: the decision an application would get, with its reasons and scores, and nothing stored or published.

A policy change is an edit of a YAML file (services/triage/policy.yaml, services/routing/policy.yaml) or of the
reference data (contracts/data/ai_factories.yaml). Before it is applied, staff try it on past applications:

    python -m services.intake.simulation applications.yaml --routing-policy new-routing.yaml --compare

and the classifier of an earlier triage policy against today's (every changed decision is listed):

    python -m services.intake.simulation applications.yaml --triage-policy services/triage/policies/triage-2026.11.3.yaml --compare

or one application over HTTP: `POST /v1/simulate` (staff only; services/intake/api.py).

`simulate()` composes the two pure handlers the pipeline runs, `when_application_submitted_score_it` (triage) and
`when_application_scored_decide_route` (routing), on the same policy loaders. Intake imports them for dry runs
only: a real application still goes through Kafka to triage and routing, which load their own policies at start.
Nothing here touches a database, Kafka or SMTP; so what routing does beyond its pure handler with state of its own
(e.g. giving an accepted project an expert with capacity left) is not part of a dry run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts import reference as reference_data
from contracts.config_files import ConfigFileError, parse_yaml, validate
from contracts.events import ApplicationSubmitted, Outcome, PartnerFit, RuleResult, SectorFinding
from contracts.reference import Reference
from services.intake.requests import SubmitApplication
from services.routing import handlers as routing
from services.routing.domain import Policy as RoutingPolicy
from services.triage import policy as triage_policy
from services.triage.handlers import when_application_submitted_score_it
from services.triage.model import Policy as TriagePolicy

APPLICATION_ID = "dry-run"  # the id of a simulated application: it never exists anywhere
PARTNERS_SHOWN = 3
APPLICATION_KEYS = ("company", "contact", "project", "consent")


class SimulationError(ValueError):
    """Invalid input of a dry run: the message names the file and the field."""


# -- what a dry run answers (also the OpenAPI schema of POST /v1/simulate) -----------------------------------------


class SimulatedScores(BaseModel):
    sectors: list[SectorFinding]
    priority_score: int
    readiness_score: int
    total_score: int
    rules: list[RuleResult]
    partner_fit: list[PartnerFit]


class Compared(BaseModel):
    """The same application under an earlier triage policy (`?compare=<its version>`), beside today's decision."""

    policy_version: str
    outcome: Outcome
    factory_id: str | None
    sectors: list[SectorFinding]
    changed: bool


class Simulation(BaseModel):
    outcome: Outcome
    factory_id: str | None
    reasons: list[str]
    policy_version: str
    scores: SimulatedScores
    compared: Compared | None = None


# -- the policies ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Policies:
    triage: TriagePolicy
    routing: RoutingPolicy
    reference: Reference

    @property
    def version(self) -> str:
        """As a decision names it: '<triage version>+<routing version>'."""
        return f"{self.triage.version}+{self.routing.version}"

    @classmethod
    def load(cls, triage_policy_file: str | Path | None = None, routing_policy_file: str | Path | None = None,
             reference_file: str | Path | None = None) -> Policies:
        """The given files, the current ones (those the pipeline loads) for the others."""
        return cls(
            triage=_policy(Path(triage_policy_file or triage_policy.DEFAULT_POLICY), "triage"),
            routing=_policy(Path(routing_policy_file or routing.DEFAULT_POLICY), "routing"),
            reference=_reference(Path(reference_file or reference_data.DATA_FILE)),
        )


def _policy(path: Path, kind: str) -> Any:
    try:
        return _load_policy(path.resolve(), kind, path.stat().st_mtime_ns)
    except OSError as error:
        raise SimulationError(f"{path}: cannot read the {kind} policy: {error.strerror or error}") from None


@lru_cache(maxsize=16)
def _load_policy(path: Path, kind: str, _mtime_ns: int) -> Any:
    """The pipeline's own loader, then a check of every field's type against the policy's declaration (the
    loaders build plain dataclasses, which take any value: a typo would only fail at the first decision)."""
    loader, policy_class = ((triage_policy.load_policy, TriagePolicy) if kind == "triage"
                            else (routing.load_policy, RoutingPolicy))
    try:
        loaded = loader(path)
    except ConfigFileError as error:  # a typed loader: what is wrong, where
        raise SimulationError(f"{path}: invalid {kind} policy: {error.problems}") from None
    except yaml.YAMLError as error:
        raise SimulationError(f"{path}: not valid YAML: {error}") from None
    except (TypeError, AttributeError) as error:  # a field missing or unknown, or not a mapping at all
        raise SimulationError(f"{path}: not a {kind} policy: {error}") from None
    hints = typing.get_type_hints(policy_class)
    problems = []
    for field in dataclasses.fields(policy_class):
        try:
            TypeAdapter(hints[field.name]).validate_python(getattr(loaded, field.name), strict=True)
        except ValidationError as error:
            problems += [f"{_dotted((field.name, *e['loc']))}: {e['msg']}" for e in error.errors()]
    if problems:
        raise SimulationError(f"{path}: invalid {kind} policy: {'; '.join(problems)}")
    return loaded


def _reference(path: Path) -> Reference:
    try:
        return reference_data.load(path)
    except ConfigFileError as error:
        raise SimulationError(str(error)) from None


# -- the dry run -----------------------------------------------------------------------------------------------------


def decide(application: SubmitApplication, policies: Policies) -> dict:
    """Score and decide `application` as triage and routing would, under `policies`."""
    submitted = ApplicationSubmitted(application_id=APPLICATION_ID, submitted_at=datetime.now(UTC), channel="api",
                                     **application.model_dump())
    scored = when_application_submitted_score_it(submitted, policies.reference, policies.triage,
                                                 _semantic_layer(policies.triage))
    decision = routing.when_application_scored_decide_route(scored, policies.reference, policies.routing)
    return {
        "outcome": decision.outcome,
        "factory_id": decision.factory_id,
        "reasons": list(decision.reasons),
        "policy_version": decision.policy_version,
        "scores": {
            "sectors": [finding.model_dump() for finding in scored.sectors],
            "priority_score": scored.priority_score,
            "readiness_score": scored.readiness_score,
            "total_score": scored.total_score,
            "rules": [rule.model_dump() for rule in scored.rules],
            "partner_fit": [fit.model_dump() for fit in scored.partner_fit[:PARTNERS_SHOWN]],
        },
    }


def _semantic_layer(policy: TriagePolicy):
    """The model, loaded on the first dry run that needs it (a policy of the keyword era, or lexical only, does not)."""
    if policy.classifier is None or policy.classifier.layers == "lexical":
        return None
    from services.triage import semantic

    return semantic.layer()


EARLIER_POLICIES = Path(triage_policy.DEFAULT_POLICY).parent / "policies"


def earlier_triage_policies() -> dict[str, Path]:
    """The triage policies kept for comparison (services/triage/policies/), by version."""
    return {path.stem: path for path in sorted(EARLIER_POLICIES.glob("*.yaml"))}


def simulate(application: SubmitApplication, *, triage_policy_file: str | Path | None = None,
             routing_policy_file: str | Path | None = None, reference_file: str | Path | None = None,
             compare: str | None = None) -> dict:
    """The decision, reasons, policy version and scores `application` would get: under the current policies, or
    under the given files; with `compare` (the version of a kept triage policy), also under that one, and whether
    the decision changes. Nothing is stored or published."""
    result = decide(application, Policies.load(triage_policy_file, routing_policy_file, reference_file))
    if compare is not None:
        earlier = earlier_triage_policies()
        if compare not in earlier:
            raise SimulationError(f"compare: no kept triage policy {compare!r}; kept: {', '.join(earlier) or 'none'}")
        then = decide(application, Policies.load(earlier[compare], routing_policy_file, reference_file))
        result["compared"] = {
            "policy_version": then["policy_version"], "outcome": then["outcome"], "factory_id": then["factory_id"],
            "sectors": then["scores"]["sectors"],
            "changed": (then["outcome"], then["factory_id"]) != (result["outcome"], result["factory_id"])}
    return result


# -- applications from a file ----------------------------------------------------------------------------------------


def _dotted(location: Sequence[Any]) -> str:
    return ".".join(str(part) for part in location) or "application"


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


# -- the command -----------------------------------------------------------------------------------------------------


def _decision(result: dict) -> str:
    return f"{result['outcome']} {result['factory_id'] or '-'}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.intake.simulation",
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


if __name__ == "__main__":
    sys.exit(main())
