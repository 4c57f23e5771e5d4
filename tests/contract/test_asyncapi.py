"""The AsyncAPI document is all a partner factory needs: every topic it reads or writes is there with the
message's headers, key and payload, the signature rule where it must sign, and the rights of its Kafka user.
`make asyncapi` exports it with the JSON Schemas, which are the committed snapshots."""

from __future__ import annotations

import base64
import json
import re
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import asyncapi, reference, schemas, signing, topics
from infra.acls import partner_acls
from tests.contract.test_schemas import committed
from tests.unit.test_consumer_groups import INTAKE_GROUPS, ROUTING_GROUPS

ROOT = Path(__file__).resolve().parents[2]
# The AsyncAPI project's parser, installed by `make setup` from contracts/asyncapi_parser/'s lock.
PARSER_MODULES = ROOT / "var" / "asyncapi-parser" / "node_modules"
VALIDATE = ROOT / "contracts" / "asyncapi_parser" / "validate.cjs"
PARTNER_FACING = (topics.OFFERS, topics.REFERRAL_REPLIES, topics.REFERRALS_INCOMING)


def resolve(root: dict, ref: str) -> dict:
    """What a local `$ref` (`#/a/b`, percent-encoded) names in the document `root`."""
    node = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[unquote(part).replace("~1", "/").replace("~0", "~")]
    return node


def message_of(document: dict, channel: dict) -> dict:
    """The one message a channel of the document carries."""
    (ref,) = channel["messages"].values()
    return resolve(document, ref["$ref"])


def inlined(schema: object, root: dict) -> object:
    """`schema` with every `$ref` replaced by what it names in `root`: a document's schema and a snapshot's
    compare equal whatever their reference paths."""
    if isinstance(schema, list):
        return [inlined(item, root) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return {**inlined(resolve(root, schema["$ref"]), root), **inlined(rest, root)}
    return {k: inlined(v, root) for k, v in schema.items() if k != "$defs"}


def without_title(schema: dict) -> dict:
    return {k: v for k, v in schema.items() if k != "title"}


@pytest.mark.parametrize("topic", PARTNER_FACING, ids=lambda t: t.name)
def test_a_partner_facing_channel_gives_its_headers_key_and_payload(topic):
    document = asyncapi.document()
    channel = document["channels"][topic.name]
    message = message_of(document, channel)
    assert channel["address"] == topic.name
    # Headers: the content type always, the signature exactly where the partner signs
    assert message["headers"]["properties"]["content-type"]["const"] == "application/cloudevents+json"
    assert (signing.KAFKA_HEADER in message["headers"]["required"]) == bool(topic.signer)
    # Key: a payload field, named where its value comes from
    assert message["bindings"]["kafka"]["key"]["x-location"] == f"$message.payload#/data/{topic.key}"
    assert topic.key in topic.payload.model_fields
    # Payload: the committed envelope schema, with the event type and schema version it carries
    envelope, rules = message["payload"]["allOf"]
    assert without_title(inlined(envelope, document)) == without_title(inlined(committed(topic), committed(topic)))
    assert rules["properties"]["type"]["const"] == topic.event_type
    assert rules["properties"]["dataschema"]["const"] == topic.dataschema


@pytest.mark.parametrize("topic", topics.PUBLISHED, ids=lambda t: t.name)
def test_the_signature_is_required_exactly_on_the_topics_partners_sign(topic):
    document = asyncapi.document()
    headers = message_of(document, document["channels"][topic.name])["headers"]
    assert (signing.KAFKA_HEADER in headers["properties"]) == (signing.KAFKA_HEADER in headers["required"]) \
        == bool(topic.signer)


@pytest.mark.parametrize("topic", [t for t in topics.PUBLISHED if t.signer], ids=lambda t: t.name)
def test_the_signature_rule_of_the_document_is_the_one_readers_check(topic):
    document = asyncapi.document()
    message = message_of(document, document["channels"][topic.name])
    header = message["headers"]["properties"][signing.KAFKA_HEADER]
    rule = header["x-signature"]
    key, value = Ed25519PrivateKey.generate(), b'{"source":"/partners/jaif"}'
    # Followed to the letter, the rule gives the signature readers accept
    assert (rule["algorithm"], rule["input"], rule["encoding"]) == ("Ed25519", "$message.payload", "base64")
    signature = rule["prefix"] + base64.b64encode(key.sign(value)).decode()
    assert re.fullmatch(header["pattern"], signature) and signing.verify(key.public_key(), value, signature)
    assert rule["claimed"] == f"$message.payload#/data/{topic.signer}"
    # And the source it names must be the partner's own
    source = message["payload"]["allOf"][1]["properties"]["source"]["pattern"]
    assert re.fullmatch(source, signing.partner_source("jaif")) and not re.fullmatch(source, "/aiguillage/routing")


def test_partners_write_on_the_topics_the_application_receives_and_read_the_ones_it_sends():
    operations = asyncapi.document()["operations"]
    assert {name: operations[name]["action"] for name in (t.name for t in PARTNER_FACING)} == {
        topics.OFFERS.name: "send", topics.REFERRAL_REPLIES.name: "receive", topics.REFERRALS_INCOMING.name: "receive"}


def test_the_offer_topics_name_their_partner_as_a_parameter():
    parameter = asyncapi.document()["channels"][topics.OFFERS.name]["parameters"]["factory_id"]
    assert parameter["examples"] == [factory.id for factory in reference.load().partners]
    assert topics.OFFERS.name.replace("{factory_id}", "jaif") == topics.referrals_to("jaif").name


def parser_diagnostics(document: dict) -> list[dict]:
    """What the AsyncAPI project's own parser (`@asyncapi/parser`, run by Node) reports on `document`."""
    assert (PARSER_MODULES / "@asyncapi" / "parser").is_dir(), "run `make setup`: it installs the AsyncAPI parser"
    run = subprocess.run(["node", str(VALIDATE)], input=json.dumps(document), capture_output=True, text=True,
                         env={**os.environ, "NODE_PATH": str(PARSER_MODULES)})
    assert run.returncode in (0, 1), run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_the_asyncapi_parser_finds_no_error_nor_warning_in_the_document():
    diagnostics = parser_diagnostics(json.loads(json.dumps(asyncapi.document())))
    assert [d for d in diagnostics if d["severity"] in ("error", "warning")] == []


def test_the_asyncapi_parser_reports_what_breaks_the_specification():
    # The test above can fail: a document without its channels' addresses' server is refused.
    document = json.loads(json.dumps(asyncapi.document()))
    del document["servers"][asyncapi.PRODUCTION]
    assert {d["severity"] for d in parser_diagnostics(document)} & {"error", "warning"}


def test_every_component_key_matches_the_specifications_pattern():
    components = asyncapi.document()["components"]
    keys = [key for kind in components.values() for key in kind]
    assert keys and [key for key in keys if not re.fullmatch(r"[a-zA-Z0-9.\-_]+", key)] == []


def test_the_servers_are_named_and_give_the_brokers_kafka_version():
    servers = asyncapi.document()["servers"]
    assert set(servers) == {"production", "development"}
    assert {server["protocolVersion"] for server in servers.values()} == {asyncapi.KAFKA_VERSION}
    pom = (ROOT / "infra" / "kafka" / "pom.xml").read_text()
    assert f"<kafka.version>{asyncapi.KAFKA_VERSION}</kafka.version>" in pom


@pytest.mark.parametrize("topic", topics.PUBLISHED, ids=lambda t: t.name)
def test_partitions_and_keys_are_kafka_bindings(topic):
    document = asyncapi.document()
    channel = document["channels"][topic.name]
    assert channel["bindings"]["kafka"]["partitions"] == topic.partitions
    assert channel["bindings"]["kafka"]["topic"] == topic.name
    assert message_of(document, channel)["bindings"]["kafka"]["key"]["type"] == "string"


def test_the_consumer_groups_are_operation_bindings():
    # The groups in which the services read what partners write (as tests/unit/test_consumer_groups.py holds them)
    services_groups = {**INTAKE_GROUPS, **ROUTING_GROUPS}
    operations = asyncapi.document()["operations"]
    groups = {name: operation["bindings"]["kafka"]["groupId"] for name, operation in operations.items()
              if "bindings" in operation}
    for topic in (topics.REFERRAL_REPLIES, topics.REFERRALS_INCOMING):
        assert operations[topic.name]["action"] == "receive"
        assert topic.name in services_groups[groups[topic.name]["const"]]
    # Partners read their offers in the group named by their factory id
    assert groups[topics.OFFERS.name]["examples"] == [factory.id for factory in reference.load().partners]
    assert set(groups) == {topics.REFERRAL_REPLIES.name, topics.REFERRALS_INCOMING.name, topics.OFFERS.name}


def test_the_server_asks_for_scram_and_the_document_grants_partners_what_the_operators_apply():
    document = asyncapi.document()
    server = document["servers"]["production"]
    (requirement,) = server["security"]
    scheme = resolve(document, requirement["$ref"])
    assert scheme["type"] == "scramSha512" and server["protocol"] == "kafka-secure"  # SASL_SSL: over TLS only
    granted = {(acl["principal"], acl["operation"], acl["resourceType"], acl["resource"])
               for acl in json.loads(json.dumps(scheme["x-acls"]).replace("{factory_id}", "jaif"))}
    assert granted == {(acl.principal, acl.operation, acl.resource_type, acl.resource) for acl in partner_acls("jaif")}


def test_make_asyncapi_exports_the_document_and_the_committed_schemas(tmp_path):
    out = tmp_path / "contract"
    run = subprocess.run([sys.executable, "-m", "contracts.asyncapi", "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    written = {out / "asyncapi.json", *(schemas.snapshot_path(topic, out / "schemas") for topic in topics.PUBLISHED)}
    assert set(run.stdout.splitlines()) == {f"wrote {path}" for path in written}
    assert {path for path in out.rglob("*") if path.is_file()} == written
    assert json.loads((out / "asyncapi.json").read_text()) == json.loads(json.dumps(asyncapi.document()))
    for topic in topics.PUBLISHED:
        assert json.loads(schemas.snapshot_path(topic, out / "schemas").read_text()) == committed(topic), topic.name
