"""Dry run: the decision an application would get, with its reasons and scores, and nothing stored or published.

`simulate()` composes the two pure handlers the pipeline runs, `when_application_submitted_score_it` (triage) and
`when_application_scored_decide_route` (routing), on the same policy loaders. It serves the command (command.py)
and intake's `POST /v1/simulate`, which reaches it only through its DRY_RUN_ENTRY_POINT setting
(`services.simulation.dry_run:simulate`): intake's code imports neither triage nor routing. A real application
still goes through Kafka to triage and routing, which load their own policies at start. Nothing here touches a
database, Kafka or SMTP; so what routing does beyond its pure handler with state of its own (e.g. giving an
accepted project an expert with capacity left) is not part of a dry run.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from contracts import profile
from contracts import reference as reference_data
from contracts.config_files import ConfigFileError
from contracts.events import ApplicationSubmitted
from contracts.reference import Reference
from services.intake.applications.requests import DryRunRefused, SubmitApplication
from services.routing import handlers as routing
from services.routing.domain import Policy as RoutingPolicy
from services.triage import policy as triage_policy
from services.triage.handlers import when_application_submitted_score_it
from services.triage.model import Policy as TriagePolicy

APPLICATION_ID = "dry-run"  # the id of a simulated application: it never exists anywhere
PARTNERS_SHOWN = 3


class SimulationError(DryRunRefused):
    """Invalid input of a dry run: the message names the file and the field."""


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


def _dotted(location: Sequence[Any]) -> str:
    return ".".join(str(part) for part in location) or "application"


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


EARLIER_POLICIES = profile.selected().file("earlier_triage_policies")


def earlier_triage_policies() -> dict[str, Path]:
    """The triage policies kept for comparison (the factory profile's triage/policies/), by version."""
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
