"""The home factory is configuration: the services (code, templates, pages) and the contracts name no factory of
their own, and the factory profile that FACTORY_PROFILE selects gives the names an applicant reads and the decisions
triage and routing make; a second real profile, Pharos's, shows it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from contracts import profile

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
PHAROS = ROOT / "profiles" / "pharos"
# Luxembourg, the L-AIF and its id; not Luxembourgish, a language the texts are read in.
HOME_NAMES = re.compile(r"luxemb(?!ourgish)|lux-aif|l-aif", re.IGNORECASE)
# Data about every language and every country, where Luxembourg is one among the others.
EVERY_LANGUAGE_OR_COUNTRY = (SERVICES / "triage" / "vocabulary", SERVICES / "intake" / "applications" / "countries.json")
TEXT = {".py", ".html", ".yaml", ".yml", ".json", ".jsonl", ".md", ".txt", ".css", ".js"}


def shared_files() -> list[Path]:
    """The services' files (code, templates, pages, docs) and the contracts' code; not the registry of AI Factories
    (contracts/data) nor the profiles, where the factories are named."""
    services = [path for path in sorted(SERVICES.rglob("*"))
                if path.suffix in TEXT and "__pycache__" not in path.parts
                and not any(path == kept or kept in path.parents for kept in EVERY_LANGUAGE_OR_COUNTRY)]
    return [*services, *sorted((ROOT / "contracts").glob("*.py"))]


def test_nothing_in_the_services_or_the_contracts_names_the_home_factory():
    named = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in shared_files()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if HOME_NAMES.search(line)]
    assert not named, "the factory profile names the home factory, not the shared code:\n" + "\n".join(named)


def another_factorys_profile(directory: Path) -> Path:
    """Luxembourg's profile renamed, as another factory would start its own from it."""
    copy = directory / "moselle"
    raw = yaml.safe_load((profile.DEFAULT_PROFILE / "profile.yaml").read_text(encoding="utf-8"))
    raw.update(name="Moselle AI Factory", short_name="M-AIF", sender="Moselle AI Factory <hello@moselle.example>")
    raw["words"]["en"].update(the_priorities="the Moselle priorities")
    copy.mkdir()
    (copy / "profile.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    for part in ("triage", "routing", "journey"):
        (copy / part).symlink_to(profile.DEFAULT_PROFILE / part)
    return copy


RENDER = """
from contracts import reference
from contracts.events import Applicant, DecisionMade
from services.notify.main import settings
from services.notify.render import render_decision
applicant = Applicant(company_name="Moselle Re", contact_name="Anne Weber", email="anne@moselle-re.example",
                      language="en", project_title="Claims")
for outcome, factory in (("accept_local", "lux-aif"), ("forward", "mimer")):
    email = render_decision(DecisionMade(application_id="app-1", outcome=outcome, factory_id=factory,
                                         reasons=["r"], policy_version="t+r", decided_by="routing", consent_to_share=True,
                                         applicant=applicant), reference.load())
    print(email.subject)
    print(email.body.splitlines()[2])
print(settings.mail_from)
"""


def test_the_selected_profile_names_the_factory_in_the_applicants_emails(tmp_path):
    # Given another factory's profile, selected by FACTORY_PROFILE
    environment = {**os.environ, "FACTORY_PROFILE": str(another_factorys_profile(tmp_path)),
                   "VAR_DIR": str(tmp_path / "var")}

    # When notify writes an acceptance and a forward
    written = subprocess.run([sys.executable, "-c", RENDER], cwd=ROOT, env=environment, capture_output=True,
                             text=True, check=True).stdout.splitlines()

    # Then the applicant reads that factory's names and gets the email from its sender
    assert written == [
        "Your AI project is accepted by the Moselle AI Factory",
        "Good news: the Moselle AI Factory (M-AIF) will take on your project. One of our experts will contact "
        "you to start with training and an assessment.",
        "Your AI project: MIMER - The Swedish AI Innovation Factory (SE) is the right AI Factory for it",
        "Your project fits MIMER - The Swedish AI Innovation Factory (SE) better than the Moselle priorities.",
        "Moselle AI Factory <hello@moselle.example>",
    ]


RESOLVE = "from contracts import reference; reference.load()"


def test_a_profile_whose_factory_the_registry_does_not_hold_stops_the_services(tmp_path):
    # Given a profile naming a factory the registry of AI Factories does not know
    directory = another_factorys_profile(tmp_path)
    text = (directory / "profile.yaml").read_text(encoding="utf-8")
    (directory / "profile.yaml").write_text(text.replace("factory_id: lux-aif", "factory_id: moselle-aif"),
                                            encoding="utf-8")

    # When a service reads the reference data
    refused = subprocess.run([sys.executable, "-c", RESOLVE], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "FACTORY_PROFILE": str(directory)})

    # Then it stops, naming the profile's file and fields
    assert refused.returncode != 0
    assert (f"{directory / 'profile.yaml'}: factory_id, country: {ROOT / 'contracts' / 'data' / 'ai_factories.yaml'} "
            "holds no factory 'moselle-aif' in 'LU'") in refused.stderr


DECIDE = """
import json
from datetime import UTC, datetime
from contracts import reference
from contracts.events import ApplicationSubmitted
from services.notify.main import settings
from services.notify.render import render_decision
from services.routing import decisions
from services.routing.experts import assign, load_experts
from services.routing.handlers import load_policy, when_application_scored_decide_route
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy as load_triage_policy
home = reference.load()
for company, country, title, summary in (
    ("Iatriki Analytics", "GR", "Reading chest X-rays faster in our hospitals",
     "We help the radiologists of three hospitals in Athens find pneumonia on chest X-rays sooner, so that "
     "patients are treated earlier."),
    ("Kirchberg Payments", "LU", "Fraud scoring for card payments",
     "Our fintech start-up scores card payments for fraud in real time for the banks we serve."),
    ("Glossa Lab", "GR", "A Greek language model for museum archives",
     "We train a Greek large language model that transcribes and translates the letters kept in museum archives."),
):
    submitted = ApplicationSubmitted(
        application_id="app-1", submitted_at=datetime.now(UTC), channel="web",
        company={"name": company, "country": country, "size": "startup"},
        contact={"name": "Maria Ioannou", "email": "maria@example.org", "language": "en"},
        project={"title": title, "summary": summary, "declared_sectors": [], "data_readiness": "partial",
                 "stage": "prototype"},
        consent={"share_with_partner_factories": True})
    scored = when_application_submitted_score_it(submitted, home, load_triage_policy())
    decision = when_application_scored_decide_route(scored, home, load_policy())
    if decision.outcome == "accept_local":
        sectors = [s.sector for s in scored.sectors if s.sector in home.priorities]
        decision = decisions.with_expert(decision, assign(load_experts(), sectors, {}))
    email = render_decision(decision, home)
    print(json.dumps({"outcome": decision.outcome, "factory": decision.factory_id, "expert": decision.expert_id,
                      "subject": email.subject, "body": email.body}))
print(json.dumps({"from": settings.mail_from}))
"""


def test_pharos_accepts_greek_health_and_language_projects_with_sample_experts_and_forwards_a_luxembourg_fintech(
        tmp_path):
    # Given the Pharos profile, selected by FACTORY_PROFILE
    environment = {**os.environ, "FACTORY_PROFILE": str(PHAROS), "VAR_DIR": str(tmp_path / "var")}
    experts = yaml.safe_load((PHAROS / "routing" / "experts.yaml").read_text(encoding="utf-8"))

    # When triage scores, routing decides and notify writes for a Greek hospital's radiology project, a
    # Luxembourg fintech's fraud scoring and a Greek language model, in plain prose
    lines = subprocess.run([sys.executable, "-c", DECIDE], cwd=ROOT, env=environment, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    health, fintech, greek_language, sender = (json.loads(line) for line in lines)

    # Then Pharos takes the health project on with one of its sample health experts
    assert (health["outcome"], health["factory"]) == ("accept_local", "pharos")
    sample_experts = {expert["id"]: expert["name"] for expert in experts["experts"]}
    assert experts["sample"] is True and "health" in sample_experts[health["expert"]]
    # And the applicant's email names Pharos and its expert, and nothing of Luxembourg
    assert health["subject"] == "Your AI project is accepted by the Pharos Greek AI Factory"
    assert f"{sample_experts[health['expert']]} will be your expert at the Pharos." in health["body"]
    assert not HOME_NAMES.search(health["subject"] + health["body"])
    # And the fintech project goes to Luxembourg's factory, never to Pharos itself
    assert (fintech["outcome"], fintech["factory"]) == ("forward", "lux-aif")
    assert fintech["subject"] == "Your AI project: Luxembourg AI Factory (LU) is the right AI Factory for it"
    assert "Your project fits Luxembourg AI Factory (LU) better than the Greek priorities." in fintech["body"]
    # And a model of Greece's own language, one of Pharos's priorities, is Pharos's too, with a language expert
    assert (greek_language["outcome"], greek_language["factory"]) == ("accept_local", "pharos")
    assert "language" in sample_experts[greek_language["expert"]]
    # And every email comes from Pharos's sender
    assert sender["from"] == "Pharos Greek AI Factory <one-stop-shop@pharos.example>"


def without(path: Path, key: str) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    del raw[key]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(("service", "part", "change", "said"), [
    ("notify", "routing/experts.yaml", Path.unlink,
     "routing/experts.yaml: missing: every factory profile holds its routing/experts.yaml"),
    ("notify", "journey/datasets.sample.yaml", Path.unlink,
     "journey/datasets.sample.yaml: missing: every factory profile holds its journey/datasets.sample.yaml"),
    ("notify", "profile.yaml", lambda path: without(path, "sender"), "profile.yaml: sender: Field required"),
    ("routing", "routing/experts.yaml", lambda path: without(path, "experts"),
     "routing/experts.yaml: experts: Field required"),
], ids=["missing-file", "missing-journey-file", "missing-identity-field", "missing-roster-field"])
def test_a_profile_missing_a_file_or_a_field_stops_the_service_naming_it(tmp_path, service, part, change, said):
    # Given a copy of the Pharos profile without one of its files, or with a file missing a required field
    directory = tmp_path / "pharos"
    shutil.copytree(PHAROS, directory)
    change(directory / part)

    # When a service starts with it
    started = subprocess.run([sys.executable, "-c", f"import services.{service}.main"], cwd=ROOT,
                             capture_output=True, text=True,
                             env={**os.environ, "FACTORY_PROFILE": str(directory), "VAR_DIR": str(tmp_path / "var")})

    # Then it stops, naming the file and what is missing
    assert started.returncode != 0
    assert f"{directory}/{said}" in started.stderr
