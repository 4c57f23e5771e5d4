"""The staff console in a real browser, used as intake staff use it: signing in, watching a new application
arrive in the queue without reloading, reading why it was decided, overriding the decision with a reason and
seeing the new one (and its email) in their name; the indicators and their CSV; and the door closed to whoever
has not signed in."""

from __future__ import annotations

import copy
import re
import time
import uuid
from email.message import EmailMessage

import httpx
from playwright.sync_api import Page, expect

from infra import samples
from tests.support.staff import create_account, sign_in_in_browser

REASON = "Petit Four came to the drop-in session: two years of till receipts, enough for a first model."


def submit(system, body: dict) -> dict:
    """An application sent through the public API, as any client sends it."""
    response = httpx.post(f"{system.intake}/v1/applications", json=body, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()


def petit_four(tag: str) -> dict:
    """Petit Four's application (no sector found: staff review), its title made unique in the test session."""
    body = copy.deepcopy(samples.PETIT_FOUR.body)
    body["project"]["title"] = f"Something with AI for our shop ({tag})"
    return body


def reload_until(page: Page, text: str, timeout: float = 45) -> None:
    """Reload the page, as a person would, until it shows `text`."""
    deadline = time.monotonic() + timeout
    while page.get_by_text(text).count() == 0:
        assert time.monotonic() < deadline, f"{text!r} not on the page after {timeout} s"
        time.sleep(0.5)
        page.reload()


def decision_emails(system, application_id: str, count: int, timeout: float = 30) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while len(emails := system.emails_to(application_id)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return emails


def test_the_console_sends_whoever_has_not_signed_in_to_the_sign_in_page(system, page, screenshot):
    # When someone opens a console page without signing in
    page.goto(f"{system.intake}/console/indicators")

    # Then the sign-in page asks them to sign in, and remembers where they were going
    expect(page).to_have_url(f"{system.intake}/console/sign-in?reason=required&next=%2Fconsole%2Findicators")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the staff console")
    expect(page.get_by_text("Sign in to use the staff console.")).to_be_visible()
    screenshot(page, "sign-in")

    # And so does every other console page, the queue and the CSV included
    for path in ("/console", "/console/applications/anything", "/console/indicators.csv"):
        page.goto(system.intake + path)
        expect(page).to_have_url(f"{system.intake}/console/sign-in?reason=required" +
                                 ("" if path == "/console" else f"&next={path.replace('/', '%2F')}"))


def test_a_triager_sees_a_new_application_arrive_reads_its_reasons_and_overrides_it(system, page, screenshot):
    # Given Claire Hoffmann, a triager, signed in, with the queue open
    claire = create_account(system, "triager", "Claire Hoffmann")
    page.goto(f"{system.intake}/console")
    sign_in_in_browser(page, claire)
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()
    expect(page.get_by_text("Signed in as Claire Hoffmann")).to_be_visible()
    page.evaluate("window.queueNeverReloaded = true")

    # When Petit Four applies through the API
    tag = uuid.uuid4().hex[:6]
    body = petit_four(tag)
    accepted = submit(system, body)
    title = body["project"]["title"]

    # Then its row appears in the queue, and goes to staff review, without a reload
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=title))
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("In review", timeout=30_000)
    assert page.evaluate("window.queueNeverReloaded") is True
    screenshot(page, "queue")

    # When she opens it
    row.get_by_role("link", name=title).click()

    # Then she reads the decision's reasons, as the status link gives them, and who decided
    decision = httpx.get(accepted["status_url"], timeout=10).json()["decision"]
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    for reason in decision["reasons"]:
        expect(page.locator(".reasons").get_by_text(reason, exact=True)).to_be_visible()
    expect(page.locator(".panel")).to_contain_text(decision["policy_version"])
    expect(page.get_by_role("table", name="Scoring rules")).to_be_visible()
    screenshot(page, "application")

    # When she sends an acceptance without a reason
    page.get_by_label("Accept it at the Luxembourg AI Factory").check()
    page.get_by_role("button", name="Send the override").click()

    # Then it is refused, and the message stands next to the reason's field
    reason_field = page.get_by_label("Reason")
    expect(reason_field).to_have_accessible_description(
        "The applicant reads it in the email about the new decision, and it stays in the timeline. "
        "Error: Give the reason for the override: the applicant reads it.")
    expect(page.get_by_label("Accept it at the Luxembourg AI Factory")).to_be_checked()

    # When she gives her reason and sends it
    reason_field.fill(REASON)
    page.get_by_role("button", name="Send the override").click()

    # Then she is told routing will make the new decision
    expect(page.get_by_text("Override sent; the new decision appears when routing has made it.")).to_be_visible()
    screenshot(page, "override-sent")

    # And the new decision shows in her name, with her reason, and the timeline says who did it
    reload_until(page, "Decision by Claire Hoffmann")
    expect(page.locator(".decision__outcome")).to_contain_text("Accepted locally")
    expect(page.locator(".panel")).to_contain_text(re.compile(r"Decided by\s*Claire Hoffmann"))
    expect(page.locator(".reasons")).to_contain_text(REASON)
    expect(page.locator(".timeline")).to_contain_text(f"Override requested by Claire Hoffmann: accept_local ({REASON})")

    # And Petit Four's contact has the email of the acceptance, which the console shows too
    emails = decision_emails(system, accepted["application_id"], 2)
    acceptance = [email for email in emails if email["X-Notice-Kind"].startswith("decision:accept_local")]
    assert len(acceptance) == 1 and REASON in acceptance[0].get_content()
    reload_until(page, acceptance[0]["Subject"])
    page.get_by_text("The email's text").last.click()
    expect(page.locator(".email").last).to_contain_text(REASON)
    screenshot(page, "override-result")


def test_the_indicators_and_their_csv(system, page, screenshot):
    # Given Marie Klein, a viewer, signed in
    marie = create_account(system, "viewer", "Marie Klein")
    page.goto(f"{system.intake}/console/sign-in")
    sign_in_in_browser(page, marie)

    # When she opens the indicators
    page.get_by_role("link", name="Indicators").click()

    # Then she sees the figures, the journey against the target of 190 and the referrals per partner
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicators")
    expect(page.get_by_text("of the programme's target of 190 companies have completed the journey")).to_be_visible()
    expect(page.get_by_role("table", name="Outcomes")).to_contain_text("Accepted locally")
    referrals = "Referrals sent to, accepted by and received from each partner AI Factory"
    expect(page.get_by_role("table", name=referrals)).to_contain_text("JUPITER AI Factory")
    screenshot(page, "indicators")

    # And the CSV she downloads holds the same figures, one a line
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0] == "indicator,key,value"
    assert "journey,target,190" in lines
