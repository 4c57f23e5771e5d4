"""The applicant's pages in a real browser, used as an applicant uses them: the form in their language, a mistake
shown next to its field and fixed, the confirmation with the status link, and the status page until the decision
shows; the language switch; the consent checkbox with the keyboard alone; the form without JavaScript."""

from __future__ import annotations

import copy
import re
import time
from email.message import EmailMessage

from playwright.sync_api import Browser, Page, expect

from contracts import reference
from infra import samples


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def fill_in_french(page: Page, body: dict) -> None:
    """The form as Anne Weber fills it in, reading the French labels (the emails' language follows the page)."""
    company, contact, project = body["company"], body["contact"], body["project"]
    page.get_by_label("Nom de l'entreprise ou de l'organisme").fill(company["name"])
    page.get_by_label("Pays", exact=True).select_option(company["country"])
    page.get_by_label("Petite ou moyenne entreprise (PME)").check()
    page.get_by_label("Vos prénom et nom").fill(contact["name"])
    page.get_by_label("Adresse e-mail", exact=True).fill(contact["email"])
    page.get_by_label("Titre du projet").fill(project["title"])
    page.get_by_label("Résumé du projet").fill(project["summary"])
    page.get_by_label("Assurance et réassurance").check()
    page.get_by_label("Nos données sont prêtes à l'emploi").check()
    page.get_by_label("Un prototype").check()
    page.get_by_label("J'accepte que la Luxembourg AI Factory transmette ma candidature").check()


def reload_until_decided(page: Page, timeout: float = 45) -> None:
    """Come back to the status page, as the applicant would, until it shows the decision."""
    deadline = time.monotonic() + timeout
    while page.locator("#decision-title").count() == 0:
        assert time.monotonic() < deadline, f"no decision on the status page after {timeout} s"
        time.sleep(0.5)
        page.reload()


def emails_to(system, application_id: str, timeout: float = 30) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while not (emails := system.emails_to(application_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return emails


def application_id_in(status_url: str) -> str:
    found = re.search(r"/status/([^/?]+)\?token=.+", status_url)
    assert found, status_url
    return found.group(1)


def test_an_applicant_applies_in_french_fixes_a_mistake_and_follows_the_decision(system, page, screenshot):
    # Given the form in French
    page.goto(f"{system.intake}/apply?lang=fr")
    expect(h1(page)).to_have_text("Présentez votre projet d'IA")

    # When Anne Weber of Moselle Re fills it in, her email address lacking the end of its domain, and sends it
    body = copy.deepcopy(samples.MOSELLE_RE.body)
    address = body["contact"]["email"]
    body["contact"]["email"] = "anne.weber@moselle-re"
    fill_in_french(page, body)
    screenshot(page, "form")
    page.get_by_role("button", name="Envoyer ma candidature").click()

    # Then the page stays, with the message in French next to the email field, which it describes
    email_field = page.get_by_label("Adresse e-mail", exact=True)
    message = "Saisissez une adresse e-mail de la forme nom@exemple.lu"
    expect(page.locator("#contact-email-error")).to_have_text(re.compile(message))
    expect(email_field).to_have_attribute("aria-invalid", "true")
    expect(email_field).to_have_accessible_description(re.compile(message))
    # And the summary at the top says it too, links to the field, and has the focus; no other field is flagged
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=message)).to_have_attribute("href", "#contact-email")
    expect(page.locator(".field--error")).to_have_count(1)
    screenshot(page, "form-with-error")

    # When she corrects the address and leaves the field
    email_field.fill(address)
    email_field.blur()
    # Then the message goes away
    expect(page.locator("#contact-email-error")).to_be_hidden()
    expect(email_field).not_to_have_attribute("aria-invalid", "true")

    # When she sends the form
    page.get_by_role("button", name="Envoyer ma candidature").click()
    # Then the confirmation gives her the status link, and tells her to keep it
    expect(h1(page)).to_have_text("Candidature reçue")
    expect(page.get_by_role("heading", name="Conservez ce lien")).to_be_visible()
    status_link = page.locator("#status-link")
    status_url = status_link.get_attribute("href") or ""
    assert status_url.startswith(f"{system.intake}/status/")
    application_id = application_id_in(status_url)
    expect(status_link).to_have_text(status_url)
    screenshot(page, "confirmation")

    # When she follows it, and comes back until the decision is there
    status_link.click()
    expect(h1(page)).to_have_text("Votre candidature")
    reload_until_decided(page)

    # Then the status page tells her, in French, that the L-AIF accepts her project, why, and what comes next
    expect(page.locator("#decision-title")).to_have_text("Acceptée par la Luxembourg AI Factory")
    expect(page.get_by_role("heading", name="Pourquoi (détail de l'évaluation, en anglais)")).to_be_visible()
    expect(page.locator(".reasons li").first).to_be_visible()
    expect(page.get_by_role("heading", name="Prochaines étapes")).to_be_visible()
    expect(page.get_by_text("Mise en relation avec des fournisseurs de solutions")).to_be_visible()
    expect(page.locator(".progress [aria-current=step]")).to_have_text(re.compile("Décidée"))
    expect(page.locator(".timeline")).to_contain_text("Décision prise")
    screenshot(page, "status-decided")

    # And the email she got says it in French
    (email,) = emails_to(system, application_id)
    assert email["Content-Language"] == "fr"
    assert email["Subject"].startswith("Votre projet d'IA")
    assert "accepté par la Luxembourg AI Factory" in email["Subject"]


def test_the_language_switch_changes_the_words_of_the_page_and_of_the_emails(system, page, screenshot):
    # Given the form in a browser that prefers English
    page.goto(f"{system.intake}/")
    expect(h1(page)).to_have_text("Apply with your AI project")
    expect(page.get_by_label("Language of our emails")).to_have_value("en")

    # When the applicant chooses Deutsch in the header
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()

    # Then the page speaks German, and the emails will too unless they choose otherwise
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(h1(page)).to_have_text("Bewerben Sie sich mit Ihrem KI-Projekt")
    expect(page.get_by_label("E-Mail-Adresse", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Bewerbung absenden")).to_be_visible()
    expect(page.get_by_label("Sprache unserer E-Mails")).to_have_value("de")
    screenshot(page, "form-in-german")

    # And the choice stays when they come back to the form
    page.goto(f"{system.intake}/apply")
    expect(h1(page)).to_have_text("Bewerben Sie sich mit Ihrem KI-Projekt")


def test_the_consent_checkbox_works_with_the_keyboard_alone(system, page):
    # Given the form, and an applicant who uses the keyboard only
    page.goto(f"{system.intake}/apply?lang=en")
    consent = page.get_by_label("I agree that the Luxembourg AI Factory passes my application on")

    # When they press Tab until the consent checkbox has the focus
    for _ in range(120):
        page.keyboard.press("Tab")
        if consent.evaluate("element => element === document.activeElement"):
            break
    # Then it has, visibly, and is not ticked for them
    expect(consent).to_be_focused()
    assert consent.evaluate("element => getComputedStyle(element).outlineStyle") == "solid"
    expect(consent).not_to_be_checked()

    # When they press Space, it is ticked; again, it is not
    page.keyboard.press("Space")
    expect(consent).to_be_checked()
    page.keyboard.press("Space")
    expect(consent).not_to_be_checked()


def test_without_javascript_the_server_checks_the_form_and_a_forward_shows_the_factorys_contact(
        system, browser: Browser, screenshot):
    # Given a browser without JavaScript that prefers German
    context = browser.new_context(java_script_enabled=False, locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        # When Dr. Petra Lang of Rhein Radiologie applies, ticking eleven sectors (the browser cannot count them)
        page.goto(f"{system.intake}/apply")
        sample = samples.RHEIN_RADIOLOGIE.body
        page.get_by_label("Name des Unternehmens oder der Einrichtung").fill(sample["company"]["name"])
        page.get_by_label("Land", exact=True).select_option("DE")
        page.get_by_label("Kleines oder mittleres Unternehmen (KMU)").check()
        page.get_by_label("Ihr vollständiger Name").fill(sample["contact"]["name"])
        page.get_by_label("E-Mail-Adresse", exact=True).fill(sample["contact"]["email"])
        page.get_by_label("Projekttitel").fill(sample["project"]["title"])
        page.get_by_label("Projektbeschreibung").fill(sample["project"]["summary"])
        sectors = page.locator("[data-field='project.declared_sectors'] input")
        for index in range(11):
            sectors.nth(index).check()
        page.get_by_label("Wir haben Daten, aber sie sind noch nicht aufbereitet").check()
        page.get_by_label("Eine Idee").check()
        page.get_by_role("button", name="Bewerbung absenden").click()

        # Then the server sends the form back, everything she typed still there, the message next to the sectors
        expect(page).to_have_title(re.compile("^Fehler:"))
        expect(page.locator("#project-declared-sectors-error")).to_have_text(
            re.compile("Wählen Sie höchstens 10 Branchen"))
        expect(page.get_by_role("alert").get_by_role("link", name="Wählen Sie höchstens 10 Branchen")).to_be_visible()
        expect(page.get_by_label("Projekttitel")).to_have_value(sample["project"]["title"])
        expect(page.get_by_label("Eine Idee")).to_be_checked()
        expect(page.locator("[data-field='project.declared_sectors'] input:checked")).to_have_count(11)
        screenshot(page, "form-with-server-error")

        # When she keeps only health, and sends it without consent to share
        for index in range(11):
            sectors.nth(index).uncheck()
        page.get_by_label("Gesundheit", exact=True).check()
        page.get_by_role("button", name="Bewerbung absenden").click()
        expect(h1(page)).to_have_text("Bewerbung eingegangen")
        page.locator("#status-link").click()
        reload_until_decided(page)

        # Then the status page names the partner factory and how to reach it, and says nothing was sent
        jaif = reference.load().factory("jaif")
        expect(page.locator("#decision-title")).to_have_text(
            f"{jaif.name} ({jaif.country}) ist die passende AI Factory für Ihr Projekt")
        expect(page.locator(".decision")).to_contain_text("wir haben daher nichts weitergegeben")
        expect(page.locator(".decision")).to_contain_text(jaif.host)
        screenshot(page, "status-forwarded")
    finally:
        context.close()


def test_a_wrong_status_link_gets_a_page_in_the_applicants_language(system, page):
    page.goto(f"{system.intake}/status/no-such-application?token=guessed&lang=fr")
    expect(h1(page)).to_have_text("Candidature introuvable")
