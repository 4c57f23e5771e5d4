"""The journey of accepted projects in a real browser, as the factory's expert records it: one project through
every step to completion (confirming a suggested solution provider, attaching a dataset), another out of the
journey after its assessment for lack of funding; the indicators and their CSV count both, and the expert's
places are free again."""

from __future__ import annotations

import copy
import csv
import io
import time
import uuid

import httpx
from playwright.sync_api import Page, expect

from infra import samples
from tests.support.staff import create_account, sign_in_in_browser

STEPS = ("Training", "Assessment", "Matching with solution providers", "Funding",
         "PoC or sandbox on the supercomputer", "Production", "Completed")


def accepted_moselle_re(system) -> tuple[str, str]:
    """Moselle Re applies (fraud detection for a Luxembourg reinsurer): accepted, with an expert."""
    body = copy.deepcopy(samples.MOSELLE_RE.body)
    body["project"]["title"] = f"Fraud detection for reinsurance claims ({uuid.uuid4().hex[:6]})"
    answer = httpx.post(f"{system.intake}/v1/applications", json=body, timeout=10).json()
    deadline = time.monotonic() + 30
    while "decision" not in (status := httpx.get(answer["status_url"], timeout=10).json()):
        assert time.monotonic() < deadline, "no decision"
        time.sleep(0.2)
    assert status["decision"]["outcome"] == "accept_local" and status["decision"]["expert_name"], status
    return answer["application_id"], status["decision"]["expert_name"]


def load_of(system, expert_name: str) -> int:
    experts = httpx.get(f"{system.stack.url('routing')}/v1/experts", timeout=10).json()["experts"]
    return next(e["active"] for e in experts if e["name"] == expert_name)


def wait_for_load(system, expert_name: str, load: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while load_of(system, expert_name) != load:
        assert time.monotonic() < deadline, f"{expert_name} never carried {load} projects"
        time.sleep(0.2)


def download_csv(page: Page) -> dict[tuple[str, str], str]:
    page.goto(page.url.split("/console")[0] + "/console/indicators")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))[1:]
    return {(row[0], row[1]): row[2] for row in rows}


def record_next_step(page: Page, label: str) -> None:
    page.get_by_role("button", name=f"Record: {label}").click()
    expect(page.get_by_text("Recorded in the project's journey.")).to_be_visible()


def test_an_expert_takes_one_project_to_completion_and_another_out_after_its_assessment(system, page, screenshot):
    # Given Sofia Rossi, an expert, signed in, and two accepted Moselle Re projects
    sofia = create_account(system, "expert", "Sofia Rossi")
    completing, completing_expert = accepted_moselle_re(system)
    leaving, leaving_expert = accepted_moselle_re(system)
    loads = {name: load_of(system, name) for name in {completing_expert, leaving_expert}}
    page.goto(f"{system.intake}/console/sign-in")
    sign_in_in_browser(page, sofia)
    before = download_csv(page)

    # When she opens the first and records its training, then its assessment
    page.goto(f"{system.intake}/console/applications/{completing}")
    expect(page.locator(".journey__now")).to_contain_text("Accepted, journey not started")
    screenshot(page, "journey-start")
    for label in STEPS[:2]:
        record_next_step(page, label)

    # Then at the matching step she is shown the providers that fit, best first, each with its reasons
    suggestion = page.locator(".suggestion").first
    expect(suggestion).to_contain_text("LedgerLight Analytics (sample)")
    expect(suggestion).to_contain_text("the project's sector")
    expect(suggestion).to_contain_text("Has the skill")
    expect(suggestion.get_by_role("checkbox")).to_be_checked()
    screenshot(page, "matching-suggestions")
    # When she keeps the best one, unticks the second and records the matching
    page.locator(".suggestion").nth(1).get_by_role("checkbox").uncheck()
    record_next_step(page, STEPS[2])
    record_next_step(page, STEPS[3])

    # And attaches the synthetic claims dataset to the PoC
    page.get_by_label("Synthetic insurance claims, Luxembourg (sample)", exact=False).check()
    for label in STEPS[4:]:
        record_next_step(page, label)

    # Then the project shows its provider, its dataset and the journey completed, each step in the records
    expect(page.locator(".journey__providers")).to_have_text("LedgerLight Analytics (sample)")
    expect(page.locator(".journey__datasets")).to_contain_text("Synthetic insurance claims")
    expect(page.get_by_text("The journey is closed: the company completed it.")).to_be_visible()
    expect(page.get_by_role("table", name="Journey records").locator("tbody tr")).to_have_count(7)
    expect(page.locator(".timeline")).to_contain_text("Journey: Completed reached on")
    screenshot(page, "journey-completed")

    # When she records the second's training and assessment, then its exit for lack of funding
    page.goto(f"{system.intake}/console/applications/{leaving}")
    for label in STEPS[:2]:
        record_next_step(page, label)
    page.get_by_text("The project leaves the journey").click()
    page.get_by_label("Why it leaves").select_option(label="No funding found")
    page.get_by_label("Note").last.fill("No national grant this year; they will come back.")
    page.get_by_role("button", name="Record the exit").click()

    # Then the journey is closed there, with the reason
    expect(page.locator(".journey__now")).to_contain_text("Assessment, then left the journey")
    expect(page.locator(".journey__now")).to_contain_text("No funding found")
    screenshot(page, "journey-exit")

    # And both experts' places are free again
    for name, load in loads.items():
        wait_for_load(system, name, load - (2 if completing_expert == leaving_expert else 1))

    # And the indicators show the completion against the target and the exit after the assessment
    page.goto(f"{system.intake}/console/indicators")
    expect(page.get_by_role("table", name="Exits by stage and reason")).to_contain_text("No funding found")
    expect(page.get_by_role("table", name="The journey's funnel")) \
        .to_contain_text("Completed")
    screenshot(page, "indicators")
    after = download_csv(page)
    for key in (("journey", "completed"), ("journey", "exited"), ("journey_exits", "assessment:no_funding"),
                ("journey_funnel", "completed")):
        assert int(after[key]) == int(before.get(key, "0")) + 1, key
