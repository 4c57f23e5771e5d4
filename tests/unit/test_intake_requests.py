"""What intake accepts from an applicant: addresses an SMTP server will take, and sectors of the vocabulary."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from infra import samples
from services.intake.applications.requests import SubmitApplication


def with_email(address: str) -> dict:
    body = copy.deepcopy(samples.MOSELLE_RE.body)
    body["contact"]["email"] = address
    return body


@pytest.mark.parametrize("address", ["anne.weber@moselle-re.example", "anne.weber+claims@moselle-re.example",
                                     "a_weber@mail.moselle-re.example"])
def test_an_ordinary_address_is_accepted(address):
    assert SubmitApplication.model_validate(with_email(address)).contact.email == address


@pytest.mark.parametrize("address", ["anne weber@moselle-re.example", "anne@moselle_re.example", "anne@example",
                                     "ännä@moselle-re.example", "anne@-moselle.example", "@moselle-re.example"])
def test_an_address_no_mail_server_would_take_is_refused_at_the_door(address):
    # Given an address that passes a loose check but that an SMTP server refuses (553 malformed address)
    # When the applicant submits it
    with pytest.raises(ValidationError) as refused:
        SubmitApplication.model_validate(with_email(address))
    # Then the refusal names the contact's email, instead of a decision that can never be emailed
    assert [error["loc"] for error in refused.value.errors()] == [("contact", "email")]


def test_the_published_form_lists_the_sector_vocabulary():
    schema = SubmitApplication.model_json_schema()
    items = schema["$defs"]["ProjectInput"]["properties"]["declared_sectors"]["items"]
    assert {"insurance", "cybersecurity", "space"} <= set(items["enum"])


@pytest.mark.parametrize(("field", "value"), [("project.title", "Fraud detection\r\nBcc: someone@elsewhere.example"),
                                              ("contact.name", "Anne\nWeber"), ("company.name", "Moselle\x00Re"),
                                              ("project.title", "Fraud detection\u2028in claims"),
                                              ("project.title", "Fraud detection\u2029in claims"),
                                              ("contact.name", "Anne\x85Weber"), ("company.name", "Moselle\u2028Re")])
def test_a_line_break_in_a_name_or_title_is_refused_it_would_become_an_email_header(field, value):
    body = copy.deepcopy(samples.MOSELLE_RE.body)
    part, key = field.split(".")
    body[part][key] = value
    with pytest.raises(ValidationError) as refused:
        SubmitApplication.model_validate(body)
    assert [".".join(map(str, e["loc"])) for e in refused.value.errors()] == [field]
