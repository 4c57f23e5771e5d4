"""The published contracts: the committed JSON Schema snapshots stay readable by every reader written
against them. Adding an optional field is fine; removing, retyping or newly requiring one is not."""

from __future__ import annotations

import copy
import json
from typing import Literal

import jsonschema
import pytest
from pydantic import create_model

from contracts import schemas, topics
from contracts.envelope import Envelope
from contracts.events import ApplicationSubmitted
from infra import samples
from services.runtime.messages import first_event


def committed(topic: topics.Topic) -> dict:
    return json.loads(schemas.snapshot_path(topic).read_text())


@pytest.mark.parametrize("topic", topics.PUBLISHED, ids=lambda t: t.name)
def test_the_code_does_not_break_readers_of_the_committed_snapshot(topic):
    assert schemas.breaking_changes(committed(topic), schemas.envelope_schema(topic)) == []


@pytest.mark.parametrize("topic", topics.PUBLISHED, ids=lambda t: t.name)
def test_the_committed_snapshot_is_up_to_date(topic):
    # A compatible change still needs `make schemas`, so that partners see it.
    assert committed(topic) == schemas.envelope_schema(topic), "run `make schemas` and commit the snapshots"


def test_a_submitted_application_validates_against_its_published_schema():
    for sample in samples.ALL:
        data = ApplicationSubmitted(application_id="CRUNCHY-ARMCHAIR", submitted_at="2026-11-22T09:00:00Z",
                                    channel="api", **sample.body)
        envelope = first_event(topics.APPLICATION_SUBMITTED, data, service="intake", subject="CRUNCHY-ARMCHAIR")
        jsonschema.validate(json.loads(envelope.model_dump_json()), committed(topics.APPLICATION_SUBMITTED))


# The rule itself, on a small model: Moselle Re's claim as a reader of v1 knows it.
CLAIM_V1 = {
    "claim_id": (str, ...),
    "amount": (int, ...),
    "currency": (Literal["EUR", "USD"], ...),
    "note": (str | None, None),
}


def claim_schema(**changes) -> dict:
    """The envelope schema of Claim with some fields changed (None removes a field)."""
    fields = {name: spec for name, spec in {**CLAIM_V1, **changes}.items() if spec is not None}
    return Envelope[create_model("Claim", **fields)].model_json_schema()


def test_adding_an_optional_field_breaks_no_reader():
    assert schemas.breaking_changes(claim_schema(), claim_schema(adjuster=(str | None, None))) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"amount": None}, "Claim.amount: field removed"),
    ({"amount": (str, ...)}, "Claim.amount: type changed"),
    ({"note": (str, ...)}, "Claim.note: field became required"),
    ({"currency": (Literal["EUR", "USD", "GBP"], ...)}, "Claim.currency: new values ['GBP'] unknown to readers"),
])
def test_a_breaking_change_is_named(change, expected):
    assert expected in schemas.breaking_changes(claim_schema(), claim_schema(**change))


def submitted_with(change) -> dict:
    """The committed snapshot of the submitted applications, changed by `change` (applied to a copy)."""
    schema = copy.deepcopy(committed(topics.APPLICATION_SUBMITTED))
    change(schema)
    return schema


def field(schema: dict, definition: str, name: str) -> dict:
    return schema["$defs"][definition]["properties"][name]


LOOSENED = "readers of the snapshot refuse what the code may now write"
TIGHTENED = "the code refuses what was written against the snapshot"


# Each change on the real schema, and what the check must say of it: a reader of the snapshot breaks when the
# code writes more than it allowed, a writer against the snapshot (a partner, a retained message read again)
# when the code accepts less.
@pytest.mark.parametrize(("change", "expected"), [
    (lambda s: field(s, "Contact", "email").update(maxLength=300),
     f"Contact.email: maxLength loosened from 254 to 300: {LOOSENED}"),
    (lambda s: field(s, "Contact", "email").pop("maxLength"),
     f"Contact.email: maxLength loosened from 254 to none: {LOOSENED}"),
    (lambda s: field(s, "Contact", "email").update(maxLength=100),
     f"Contact.email: maxLength tightened from 254 to 100: {TIGHTENED}"),
    (lambda s: field(s, "Project", "summary").update(minLength=5),
     f"Project.summary: minLength loosened from 20 to 5: {LOOSENED}"),
    (lambda s: field(s, "Project", "summary").update(minLength=50),
     f"Project.summary: minLength tightened from 20 to 50: {TIGHTENED}"),
    (lambda s: field(s, "Project", "declared_sectors").update(maxItems=20),
     f"Project.declared_sectors: maxItems loosened from 10 to 20: {LOOSENED}"),
    (lambda s: field(s, "Contact", "email").pop("pattern"),
     "Contact.email: pattern"),
    (lambda s: field(s, "Company", "country").pop("pattern"),
     f"Company.country: pattern '^[A-Z]{{2}}$' dropped: {LOOSENED}"),
    (lambda s: field(s, "Company", "country").update(pattern="^[A-Z]{2,3}$"),
     f"Company.country: pattern changed from '^[A-Z]{{2}}$' to '^[A-Z]{{2,3}}$': {LOOSENED}, and {TIGHTENED}"),
    (lambda s: field(s, "ApplicationSubmitted", "channel").update(pattern="^(web|api)$"),
     f"ApplicationSubmitted.channel: pattern '^(web|api)$' added: {TIGHTENED}"),
    (lambda s: field(s, "ApplicationSubmitted", "submitted_at").pop("format"),
     f"ApplicationSubmitted.submitted_at: format 'date-time' dropped: {LOOSENED}"),
    (lambda s: field(s, "Contact", "language").update(enum=["en", "fr"]),
     f"Contact.language: values ['de'] taken out: {TIGHTENED}"),
    (lambda s: field(s, "Company", "size").pop("enum"),
     f"Company.size: closed list ['large', 'public_body', 'sme', 'startup'] dropped: {LOOSENED}"),
    (lambda s: s["required"].append("causation_id"), "envelope.causation_id: field became required"),
], ids=["maxLength-loosened", "maxLength-dropped", "maxLength-tightened", "minLength-loosened", "minLength-tightened",
        "maxItems-loosened", "email-pattern-dropped", "country-pattern-dropped", "pattern-changed", "pattern-added",
        "format-dropped", "enum-narrowed", "enum-dropped", "field-made-required"])
def test_a_changed_constraint_of_a_published_schema_is_named(change, expected):
    problems = schemas.breaking_changes(committed(topics.APPLICATION_SUBMITTED), submitted_with(change))
    assert [problem for problem in problems if problem.startswith(expected)] != [], problems


def test_make_schemas_refuses_to_overwrite_a_snapshot_with_a_breaking_change(tmp_path, monkeypatch):
    schemas.export(tmp_path)
    snapshot = schemas.snapshot_path(topics.DECISION_MADE, tmp_path)
    published = json.loads(snapshot.read_text())
    published["$defs"]["DecisionMade"]["properties"]["retired_field"] = {"type": "string"}
    snapshot.write_text(json.dumps(published))
    with pytest.raises(SystemExit, match="DecisionMade.retired_field: field removed"):
        schemas.export(tmp_path)
    assert json.loads(snapshot.read_text()) == published  # nothing half-written


def test_the_asyncapi_document_describes_every_topic_with_its_envelope():
    from contracts import asyncapi

    document = asyncapi.document()
    assert document["asyncapi"].startswith("3.")
    assert set(document["channels"]) == {topic.name for topic in topics.PUBLISHED}
    schemas_text = json.dumps(document["components"])
    for topic in topics.PUBLISHED:
        assert topic.payload.__name__ in schemas_text
