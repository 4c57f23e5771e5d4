"""The home factory is configuration: the services name no factory of their own, and the factory profile that
FACTORY_PROFILE selects gives the names an applicant reads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from contracts import profile

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
# Luxembourg, the L-AIF and its id; not Luxembourgish, a language the texts are read in.
HOME_NAMES = re.compile(r"luxemb(?!ourgish)|lux-aif|l-aif", re.IGNORECASE)
# Data about every language and every country, where Luxembourg is one among the others.
EVERY_LANGUAGE_OR_COUNTRY = (SERVICES / "triage" / "vocabulary", SERVICES / "intake" / "applications" / "countries.json")
TEXT = {".py", ".html", ".yaml", ".yml", ".json", ".jsonl", ".md", ".txt", ".css", ".js"}


def service_files() -> list[Path]:
    return [path for path in sorted(SERVICES.rglob("*"))
            if path.suffix in TEXT and "__pycache__" not in path.parts
            and not any(path == kept or kept in path.parents for kept in EVERY_LANGUAGE_OR_COUNTRY)]


def test_nothing_in_the_services_names_the_home_factory():
    named = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in service_files()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if HOME_NAMES.search(line)]
    assert not named, "the factory profile names the home factory, not the services:\n" + "\n".join(named)


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
