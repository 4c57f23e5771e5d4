"""The published contracts: the committed JSON Schema snapshots stay readable by every reader written
against them. Adding an optional field is fine; removing, retyping or newly requiring one is not."""

from __future__ import annotations

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
