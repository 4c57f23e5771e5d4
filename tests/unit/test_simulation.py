"""Dry runs: the decision an application would get, under the current policies or under changed policy files,
with nothing stored or published. A policy change changes decisions only through its YAML file, and the version
of that file shows in every decision."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from contracts import reference
from contracts.events import ApplicationSubmitted
from infra import samples
from services.intake.applications.requests import SubmitApplication
from services.routing.handlers import DEFAULT_POLICY as ROUTING_POLICY
from services.routing.handlers import load_policy as routing_policy, when_application_scored_decide_route
from services.simulation.command import main
from services.simulation.dry_run import simulate
from services.triage import semantic
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy as triage_policy

ROOT = Path(__file__).resolve().parents[2]
CURRENT_ROUTING_VERSION = routing_policy().version
CURRENT_TRIAGE_VERSION = triage_policy().version


def stricter_routing_policy(directory: Path) -> Path:
    """The current routing policy file with a higher readiness bar for accepting a priority project, and a new
    version, as a reviewer would write it."""
    text = ROUTING_POLICY.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^version: .*$", "version: routing-2027.01.0-strict", text)
    text = re.sub(r"(?m)^accept_readiness_min: .*$", "accept_readiness_min: 40", text)
    path = directory / "routing-strict.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def pipeline_decision(body: dict):
    """What triage and routing decide for the application, their handlers called one after the other."""
    submitted = ApplicationSubmitted(application_id="pipeline", submitted_at=datetime.now(UTC), channel="api", **body)
    scored = when_application_submitted_score_it(submitted, reference.load(), triage_policy(), semantic.layer())
    return scored, when_application_scored_decide_route(scored, reference.load(), routing_policy())


@pytest.mark.parametrize("sample", samples.ALL, ids=lambda sample: sample.body["company"]["name"])
def test_a_dry_run_gives_the_decision_the_pipeline_gives(sample):
    # Given a sample application
    application = SubmitApplication.model_validate(sample.body)

    # When staff run it dry under the current policies
    result = simulate(application)

    # Then the decision, its reasons and its policy version are the pipeline's, and the expected ones
    scored, decision = pipeline_decision(sample.body)
    assert (result["outcome"], result["factory_id"]) == (sample.expected_outcome, sample.expected_factory)
    assert (result["outcome"], result["factory_id"]) == (decision.outcome, decision.factory_id)
    assert result["reasons"] == decision.reasons
    assert result["policy_version"] == decision.policy_version == f"{CURRENT_TRIAGE_VERSION}+{CURRENT_ROUTING_VERSION}"
    # And the scores are triage's, with the three best-fitting partners
    scores = result["scores"]
    assert (scores["priority_score"], scores["readiness_score"], scores["total_score"]) == (
        scored.priority_score, scored.readiness_score, scored.total_score)
    assert scores["sectors"] == [finding.model_dump() for finding in scored.sectors]
    assert scores["rules"] == [rule.model_dump() for rule in scored.rules]
    assert scores["partner_fit"] == [fit.model_dump() for fit in scored.partner_fit[:3]]


def test_a_policy_change_changes_decisions_only_through_its_file_and_names_its_version(tmp_path):
    # Given a priority project ready enough today (Moselle Re: ready data, a prototype: readiness 25)
    application = SubmitApplication.model_validate(samples.MOSELLE_RE.body)
    assert simulate(application)["outcome"] == "accept_local"

    # When it is run dry under a routing policy file that asks for readiness 40, with a new version
    result = simulate(application, routing_policy_file=stricter_routing_policy(tmp_path))

    # Then it would go to staff review, saying why, and the decision names the new policy version
    assert (result["outcome"], result["factory_id"]) == ("review", None)
    assert "its readiness (25) is below 40" in result["reasons"][0]
    assert result["policy_version"] == f"{CURRENT_TRIAGE_VERSION}+routing-2027.01.0-strict"
    # And the current policy, which the pipeline applies, decides as before
    assert simulate(application)["outcome"] == "accept_local"
    assert pipeline_decision(samples.MOSELLE_RE.body)[1].outcome == "accept_local"


def test_the_command_compares_past_applications_under_a_changed_policy(tmp_path):
    # Given two past applications in the golden set's format (with id, story and expected outcome)
    past = [{"id": sample_id, "story": sample.story, "expected": {"outcome": sample.expected_outcome},
             **sample.body}
            for sample_id, sample in (("moselle-re", samples.MOSELLE_RE), ("odyssea-nlp", samples.ODYSSEA_NLP))]
    applications = tmp_path / "past.yaml"
    applications.write_text(yaml.safe_dump(past, allow_unicode=True), encoding="utf-8")

    # When staff compare them under the stricter routing policy
    run = subprocess.run(
        [sys.executable, "-m", "services.simulation", str(applications),
         "--routing-policy", str(stricter_routing_policy(tmp_path)), "--compare"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(ROOT)},
    )

    # Then each application shows its decision now and under the change, and the count of changed decisions
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "moselle-re   accept_local lux-aif  ->  review -   (changed)",
        "odyssea-nlp  forward pharos        ->  forward pharos",
        f"1 of 2 decisions change ({CURRENT_TRIAGE_VERSION}+{CURRENT_ROUTING_VERSION} -> "
        f"{CURRENT_TRIAGE_VERSION}+routing-2027.01.0-strict)",
    ]


def test_the_command_prints_one_decision_per_application(tmp_path, capsys):
    # Given one application as JSON, without an id
    application = tmp_path / "one.json"
    application.write_text(json.dumps(samples.KASTELL_DEFENCE.body), encoding="utf-8")

    # When staff run it dry
    code = main([str(application)])

    # Then one line names the company, the outcome and no factory
    assert code == 0
    assert capsys.readouterr().out == "Kastell Systems  decline -\n"


def test_an_invalid_application_is_refused_naming_the_file_the_application_and_the_field(tmp_path, capsys):
    # Given a file whose second application has no summary
    broken = {**samples.PETIT_FOUR.body, "project": {**samples.PETIT_FOUR.body["project"]}}
    del broken["project"]["summary"]
    applications = tmp_path / "past.yaml"
    applications.write_text(yaml.safe_dump([samples.MOSELLE_RE.body, {"id": "petit-four", **broken}]),
                            encoding="utf-8")

    # When staff run it dry
    code = main([str(applications)])

    # Then nothing is decided, and the error names the file, the application and the field
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err == (f"simulation: error: {applications}: application 2 (petit-four): "
                            "project.summary: Field required\n")


@pytest.mark.parametrize(("content", "message"), [
    ("[unclosed", "not valid YAML"),
    ("", "holds no application"),
    ("- just a string\n", "application 1: expected a mapping with company, contact, project, consent, got str"),
])
def test_a_file_that_holds_no_applications_is_refused_naming_it(tmp_path, capsys, content, message):
    # Given a file that is not a list of applications
    applications = tmp_path / "past.yaml"
    applications.write_text(content, encoding="utf-8")

    # When staff run it dry
    code = main([str(applications)])

    # Then the error names the file and what is wrong
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith(f"simulation: error: {applications}: ") and message in error, error


def test_an_invalid_policy_file_is_refused_naming_the_file_and_the_field(tmp_path, capsys):
    # Given a routing policy file with a word where a number belongs
    policy = tmp_path / "routing-typo.yaml"
    policy.write_text(ROUTING_POLICY.read_text(encoding="utf-8").replace(
        "accept_readiness_min: 10", "accept_readiness_min: forty"), encoding="utf-8")
    applications = tmp_path / "one.json"
    applications.write_text(json.dumps(samples.MOSELLE_RE.body), encoding="utf-8")

    # When staff run an application dry under it
    code = main([str(applications), "--routing-policy", str(policy), "--compare"])

    # Then nothing is decided, and the error names the file and the field
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err == (f"simulation: error: {policy}: invalid routing policy: "
                            "accept_readiness_min: Input should be a valid integer (got 'forty')\n")
