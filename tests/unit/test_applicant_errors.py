"""The application form's errors in the applicant's language: what the API's own model finds wrong, as a sentence
next to the field, the same in the browser as on the server."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError
from starlette.datastructures import FormData

from infra import samples
from services.intake.applications import form_fields as form
from services.intake.applications.requests import SubmitApplication
from services.intake.web.i18n import translator


def moselle_re(**changes: object) -> dict:
    """Moselle Re's application as the form posts it (field name -> value), with `changes` (dots as __)."""
    body = samples.MOSELLE_RE.body
    values = {f"{section}.{key}": value for section in ("company", "contact", "project", "consent")
              for key, value in body[section].items()}
    return {**values, **{name.replace("__", "."): value for name, value in changes.items()}}


def errors_of(values: dict, lang: str) -> dict[str, str]:
    with pytest.raises(ValidationError) as invalid:
        SubmitApplication.model_validate(form.application(values))
    return form.errors(invalid.value, translator(lang))


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "Describe your project in at least 20 characters"),
    ("fr", "Décrivez votre projet en 20 caractères au moins"),
    ("de", "Beschreiben Sie Ihr Projekt in mindestens 20 Zeichen"),
])
def test_a_summary_too_short_is_told_in_the_pages_language(lang, sentence):
    # Given Moselle Re's application with a summary of three words
    values = moselle_re(project__summary="Fraud in claims")
    # Then the only error is on the summary, in the page's language, with the model's minimum
    assert errors_of(values, lang) == {"project.summary": sentence}


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "Enter an email address in the form name@example.com"),
    ("fr", "Saisissez une adresse e-mail de la forme nom@exemple.lu"),
    ("de", "Geben Sie eine E-Mail-Adresse in der Form name@beispiel.lu an"),
])
@pytest.mark.parametrize("address", ["anne.weber.moselle-re.example", "anne.weber@moselle-re"])
def test_an_email_address_no_mail_server_takes_is_told_as_the_form_it_should_have(lang, sentence, address):
    assert errors_of(moselle_re(contact__email=address), lang) == {"contact.email": sentence}


def test_an_empty_form_names_every_required_field_in_the_order_of_the_form():
    # Given a form sent without anything filled in or chosen
    errors = errors_of(form.posted(FormData()), "de")
    # Then every required field has its own sentence, top to bottom
    assert errors == {
        "company.name": "Geben Sie den Namen Ihres Unternehmens oder Ihrer Einrichtung an",
        "company.country": "Wählen Sie das Land Ihrer Organisation",
        "company.size": "Wählen Sie die Art Ihrer Organisation",
        "contact.name": "Geben Sie Ihren vollständigen Namen an",
        "contact.email": "Geben Sie Ihre E-Mail-Adresse an",
        "contact.language": "Wählen Sie die Sprache unserer E-Mails",
        "project.title": "Geben Sie einen Titel für Ihr Projekt an",
        "project.summary": "Beschreiben Sie Ihr Projekt",
        "project.data_readiness": "Geben Sie an, wie weit Ihre Daten sind",
        "project.stage": "Geben Sie an, wie weit Ihr Projekt ist",
    }


def test_eleven_sectors_are_one_too_many():
    sectors = [sector for sector, _ in form.sectors(translator("en"))][:11]
    assert errors_of(moselle_re(project__declared_sectors=sectors), "fr") == {
        "project.declared_sectors": "Choisissez 10 secteurs au plus"}


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "“Project title” must be 200 characters or fewer"),
    ("fr", "« Titre du projet » ne doit pas dépasser 200 caractères"),
    ("de", "„Projekttitel“ darf höchstens 200 Zeichen lang sein"),
])
def test_an_error_without_a_sentence_of_its_own_gets_its_types_sentence_naming_the_field(lang, sentence):
    assert errors_of(moselle_re(project__title="Fraud " * 40), lang) == {"project.title": sentence}


def test_an_error_type_without_a_sentence_gets_a_generic_one_naming_the_field():
    t = translator("fr")
    assert form.message(t, "company.name", "a_type_pydantic_adds_later", {}) == \
        "Vérifiez « Nom de l'entreprise ou de l'organisme »"


@pytest.mark.parametrize("lang", ["en", "fr", "de"])
def test_the_browser_says_the_same_sentences_as_the_server(lang):
    said = form.client_messages(translator(lang))
    assert said["project.summary"]["too_short"] == \
        errors_of(moselle_re(project__summary="Too short"), lang)["project.summary"]
    assert said["contact.email"]["pattern"] == errors_of(moselle_re(contact__email="anne"), lang)["contact.email"]
    without_email = {name: value for name, value in moselle_re().items() if name != "contact.email"}
    assert said["contact.email"]["missing"] == errors_of(without_email, lang)["contact.email"]


def test_what_the_form_posts_becomes_the_apis_input():
    # Given a form with spaces around a name, an empty title, two sectors and no consent ticked
    posted = FormData([("company.name", "  Moselle Re "), ("project.title", "   "),
                       ("project.declared_sectors", "insurance"), ("project.declared_sectors", "finance")])
    values = form.posted(posted)
    # Then the name is trimmed, the empty title is missing, the sectors are a list and the consent is a no
    assert values == {"company.name": "Moselle Re", "project.declared_sectors": ["insurance", "finance"],
                      "consent.share_with_partner_factories": False}
    assert form.application(values) == {
        "company": {"name": "Moselle Re"}, "contact": {},
        "project": {"declared_sectors": ["insurance", "finance"]},
        "consent": {"share_with_partner_factories": False}}


def test_the_email_pattern_is_written_for_the_browser_and_means_the_same():
    pattern = form.fields()["contact.email"].pattern
    assert r"\{\|\}~\-]" in pattern  # escaped as the browser's `v` flag requires inside a class
    for address in ("anne.weber@moselle-re.example", "anne.weber@moselle-re", "anne weber@moselle-re.example"):
        assert bool(re.fullmatch(pattern, address)) == bool(re.fullmatch(
            SubmitApplication.model_json_schema()["$defs"]["Contact"]["properties"]["email"]["pattern"], address))
