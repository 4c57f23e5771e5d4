"""The application form is sent once: its button is disabled as soon as the form goes, so a second click sends
nothing more (the form's one-time token makes one application of a double post anyway: test_door)."""

from __future__ import annotations

import copy
import uuid

from playwright.sync_api import Page, expect

from infra import samples
from tests.browser.test_applicant_pages import fill_in_french


def test_the_submit_button_is_disabled_once_the_form_is_sent(system, page: Page):
    # Given Anne Weber's application filled in, and the page kept as it is when the form goes (a listener after the
    # form's own stops the browser from leaving it, as a slow network would keep it on screen)
    body = copy.deepcopy(samples.MOSELLE_RE.body)
    body["contact"]["email"] = f"anne-{uuid.uuid4().hex[:8]}@moselle-re.example"
    page.goto(f"{system.intake}/apply?lang=fr")
    fill_in_french(page, body)
    page.evaluate("""() => document.getElementById("application-form")
                        .addEventListener("submit", event => event.preventDefault())""")
    button = page.get_by_role("button", name="Envoyer ma candidature")
    expect(button).to_be_enabled()

    # When she sends it
    button.click()

    # Then the button is disabled
    expect(button).to_be_disabled()
