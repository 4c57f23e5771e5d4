"""The AsyncAPI 3.0 document of every topic, generated from the registry and the payload models, and its export.

Served by intake at `/asyncapi.json`; partner factories build their clients from it and the JSON Schemas, which

    python -m contracts.asyncapi [--out var/contract]        (or: make asyncapi [OUT=...])

writes as `asyncapi.json` and `schemas/<topic>.json`.

FastStream describes the channels, the payloads and the server's SASL/SCRAM security over TLS, from the application's
side: it sends on the topics it writes and receives on the ones partners write. What FastStream cannot say is
added to its output here, in AsyncAPI's own fields where there is one (message headers, the Kafka key binding,
the offer topics' parameter, the partners' envelope `source` as a payload constraint) and in `x-` extensions
where there is none (the signature rule, the partners' ACLs, where a key's value comes from). Every message has
an example: a message its producer built (`data/examples.json`, checked against the producers in the contract
tests).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from urllib.parse import unquote

from faststream.kafka import KafkaBroker
from faststream.security import SASLScram512
from faststream.specification import AsyncAPI
from pydantic import BaseModel

from contracts import profile, reference, schemas, signing
from contracts.envelope import Envelope
from contracts.topics import ALL, ANSWERS, OFFERS, PUBLISHED, REFERRAL_REPLIES, REFERRALS_INCOMING, Topic

TITLE = "Aiguillage message API"
VERSION = "1.0.0"
DEFAULT_OUT = Path("var/contract")
CONTENT_TYPE = "application/cloudevents+json"
# The latest Kafka bindings (topic partitions, consumer groups, message keys); FastStream's own are rewritten to it.
KAFKA_BINDING_VERSION = "0.5.0"
# The Kafka version of the brokers (infra/kafka/pom.xml), the servers' protocol version.
KAFKA_VERSION = "4.3.1"
# What the specification allows as the key of a component (a message, a schema): FastStream's keys
# (`<topic>:SubscribeMessage`, `Envelope[X]`) are renamed to match it.
COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")
PRODUCTION = "production"
DEVELOPMENT = "development"
# The consumer groups in which the application reads what partners write (services' reactions), by topic.
APPLICATION_GROUPS = {REFERRAL_REPLIES.name: "routing.referrals", REFERRALS_INCOMING.name: "intake.incoming-referrals"}
FACTORY_ID = "factory_id"  # the parameter of the offer topics' name, as in topics.OFFERS
PARTNER = f"{{{FACTORY_ID}}}"  # any partner factory's id, in names and rules
SECURITY_SCHEME = "scram512"  # FastStream's name for SASL/SCRAM-SHA-512
PARTNER_WRITES: tuple[Topic, ...] = tuple(topic for topic in ALL if topic.signed_by)
# One message of every topic, by topic name, as its producer wrote it.
EXAMPLES = Path(__file__).parent / "data" / "examples.json"
# The private key the partners' example messages are signed with (PKCS8 PEM), published so that a partner can check
# its own signing code on them: Ed25519 signatures are deterministic, the same bytes give the same signature.
EXAMPLE_PRIVATE_KEY_PEM = ("-----BEGIN PRIVATE KEY-----\n"
                           "MC4CAQAwBQYDK2VwBCIEIGOOimuimcFniHU253jMFvxzeCQwoE7gnloc9aB7K/gM\n"
                           "-----END PRIVATE KEY-----\n")
EXAMPLE_SIGNING_KEY = signing.private_key_from_pem(EXAMPLE_PRIVATE_KEY_PEM.encode(), "the example key")


def _description(topic: Topic) -> str:
    return (f"{' '.join((topic.payload.__doc__ or '').split())} Written by {topic.writer}; keyed by {topic.key}; "
            f"{topic.partitions} partitions; dead letters on {topic.dlq}.").strip()


def _reader_of(payload: type[BaseModel]) -> Callable:
    """A handler that only declares what it receives: FastStream describes a subscriber by its handler's
    signature. It is never called."""

    async def handler(envelope) -> None: ...

    handler.__annotations__ = {"envelope": Envelope[payload], "return": None}
    return handler


def _generated() -> dict:
    """FastStream's document: a broker that never connects, with a publisher for every topic the application
    writes and a subscriber for every topic partners write."""
    home = profile.selected().identity.name
    broker = KafkaBroker("127.0.0.1:9092", specification_url="{bootstrap}",
                         security=SASLScram512(PARTNER, "<password>", use_ssl=True),
                         description=f"The {home}'s Kafka cluster.")
    for topic in PUBLISHED:
        if topic.signed_by:
            broker.subscriber(topic.name, title=topic.name, description=_description(topic))(
                _reader_of(topic.payload))
        else:
            broker.publisher(topic.name, title=topic.name, schema=Envelope[topic.payload],
                             description=_description(topic))
    spec = AsyncAPI(
        broker, title=TITLE, version=VERSION,
        description=f"Events of the {home}'s application routing, as CloudEvents 1.0 envelopes in "
                    f"structured JSON mode ({CONTENT_TYPE}).\n\nA partner factory signs in to Kafka as its own "
                    f"SASL/SCRAM-SHA-512 user over TLS, reads the offers made to it on {OFFERS.name} in consumer "
                    f"group {PARTNER}, answers them on {REFERRAL_REPLIES.name} and refers projects to the {home} on "
                    f"{REFERRALS_INCOMING.name}. "
                    f"What it sends has the envelope source {signing.partner_source(PARTNER)} and is signed "
                    f"with its own key in the {signing.KAFKA_HEADER} header.")
    return spec.to_specification().to_jsonable()


def partner_acls() -> list[dict[str, str]]:
    """What a partner factory's Kafka user may do (the same bindings as the operators apply), with its id as
    the parameter `{factory_id}`."""
    rights = [("Read", "topic", OFFERS.name), ("Read", "topic", ANSWERS.name), ("Read", "group", PARTNER)]
    rights += [("Write", "topic", topic.name) for topic in PARTNER_WRITES]
    return [{"principal": f"User:{PARTNER}", "operation": operation, "resourceType": kind, "resource": resource}
            for operation, kind, resource in rights]


def _headers(topic: Topic) -> dict:
    properties = {"content-type": {"type": "string", "const": CONTENT_TYPE,
                                   "description": "The value is a CloudEvent in structured JSON mode."}}
    if topic.signer:
        properties[signing.KAFKA_HEADER] = {
            "type": "string",
            "pattern": f"^{re.escape(signing.SCHEME)}[A-Za-z0-9+/]{{86}}==$",
            "description": f"{signing.SCHEME}<standard base64 of the Ed25519 signature of the message value, the "
                           "envelope's JSON bytes exactly as sent, with the private key of the factory the envelope "
                           "source names (the partner on what partners write, the home factory on what it sends "
                           "them); readers check it with that factory's registered public key>; "
                           f"data.{topic.signer} must name that same partner. With OpenSSL 3, the value in "
                           "value.json: openssl pkeyutl -sign -inkey key.pem -rawin -in value.json | base64 -w0 "
                           "(a key pair: openssl genpkey -algorithm ed25519 -out key.pem)",
            "x-signature": {
                "algorithm": "Ed25519", "input": "$message.payload", "encoding": "base64", "prefix": signing.SCHEME,
                "key": "the signing factory's own Ed25519 private key; its public key (base64 of the raw 32 bytes) "
                       "is registered with the factory that reads the message",
                "signer": "$message.payload#/source", "claimed": f"$message.payload#/data/{topic.signer}",
            },
        }
    return {"type": "object", "properties": properties, "required": list(properties)}


def _key(topic: Topic) -> dict:
    return {"type": "string", "description": f"data.{topic.key}: the messages of one {topic.key} stay in order.",
            "x-location": f"$message.payload#/data/{topic.key}"}


def _envelope_rules(topic: Topic) -> dict:
    """What the envelope schema leaves open but every message on `topic` has: its event type, its schema
    version (readers refuse any other) and, from a partner, the partner's own source."""
    properties = {"type": {"const": topic.event_type},
                  "dataschema": {"const": topic.dataschema, "description": "Readers refuse any other."}}
    if topic.signer:
        properties["source"] = {
            "type": "string", "pattern": f"^{re.escape(signing.PARTNER_SOURCE_PREFIX)}.+$",
            "description": f"{signing.partner_source(PARTNER)}: the sending partner factory, whose private key "
                           "signs the message.",
        }
    return {"properties": properties}


def component_key(name: str) -> str:
    """The key of a component named `name` by FastStream: the topic without its `:SubscribeMessage` or `:Message`
    and the braces of a parameter, `Envelope[X]` as `XEnvelope`."""
    name = re.sub(r"^Envelope\[(\w+)\]$", r"\1Envelope", name.rsplit(":", 1)[0])
    key = re.sub(r"[{}]", "", name)
    if not COMPONENT_KEY.match(key):
        raise ValueError(f"no component key for {name!r}")
    return key


def _with_refs(node: object, renamed: dict[str, str]) -> object:
    """`node` with every `$ref` to a renamed component pointing to its new key."""
    if isinstance(node, list):
        return [_with_refs(item, renamed) for item in node]
    if not isinstance(node, dict):
        return node
    return {key: renamed.get(unquote(value), value) if key == "$ref" else _with_refs(value, renamed)
            for key, value in node.items()}


def _rekeyed(document: dict) -> dict:
    """The document with its components under keys the specification allows."""
    renamed = {}
    for kind in ("messages", "schemas"):
        components = document["components"][kind]
        renamed |= {f"#/components/{kind}/{name}": f"#/components/{kind}/{component_key(name)}"
                    for name in components}
        document["components"][kind] = {component_key(name): value for name, value in components.items()}
    return _with_refs(document, renamed)


def _servers(document: dict) -> None:
    """FastStream's one server (named `development`, protocol version `auto`) is the production cluster partners
    sign in to; the local broker `make up` starts is the development server, where a client can be tried
    against the whole system on one machine. Every channel is on both."""
    (production,) = document["servers"].values()
    production.update({
        "protocolVersion": KAFKA_VERSION,
        "variables": {"bootstrap": {"description": "The brokers' addresses, given to each partner factory with its "
                                                   "credentials."}},
    })
    development = {"host": "127.0.0.1:9092", "protocol": "kafka", "protocolVersion": KAFKA_VERSION,
                   "description": "The local broker `make up` starts: plaintext, without users or ACLs."}
    document["servers"] = {PRODUCTION: production, DEVELOPMENT: development}
    for channel in document["channels"].values():
        channel["servers"] = [{"$ref": f"#/servers/{name}"} for name in document["servers"]]


def _group(topic: Topic) -> dict | None:
    """The consumer group of the operation on `topic`: the application's group where it reads what partners
    write, the partner's own group where partners read the offers."""
    if topic is OFFERS:
        return {"type": "string", "description": f"Partners read their offers in the consumer group named by their "
                                                 f"factory id ({PARTNER}), the only group their user may read in.",
                "examples": [factory.id for factory in reference.load().partners]}
    if topic.name in APPLICATION_GROUPS:
        return {"type": "string", "const": APPLICATION_GROUPS[topic.name]}
    return None


def _bindings(document: dict, topic: Topic) -> None:
    """Kafka bindings: the topic's partitions on its channel, the consumer group on its operation."""
    document["channels"][topic.name]["bindings"] = {"kafka": {
        "topic": topic.name, "partitions": topic.partitions, "bindingVersion": KAFKA_BINDING_VERSION}}
    group = _group(topic)
    if group is not None:
        document["operations"][topic.name]["bindings"] = {"kafka": {
            "groupId": group, "bindingVersion": KAFKA_BINDING_VERSION}}


def example_value(envelope: dict) -> bytes:
    """The bytes of an example message's value: its JSON, compact, in the example's key order."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def _example(topic: Topic, envelope: dict) -> dict:
    """A message of `topic` with its Kafka headers; a partner's is signed with EXAMPLE_SIGNING_KEY."""
    headers = {"content-type": CONTENT_TYPE}
    summary = f"A message on {topic.name}, keyed by {envelope['data'][topic.key]}."
    if topic.signer:
        headers[signing.KAFKA_HEADER] = signing.sign(EXAMPLE_SIGNING_KEY, example_value(envelope))
        summary += (" Signed with the example private key (PKCS8 PEM, its one line of base64: "
                    f"{EXAMPLE_PRIVATE_KEY_PEM.splitlines()[1]}) over the payload as compact JSON, keys in "
                    "the order shown.")
    return {"name": topic.event_type.rsplit(".", 1)[1], "summary": summary, "headers": headers, "payload": envelope}


def _complete(document: dict) -> dict:
    """Add to FastStream's document what it cannot say."""
    document = _rekeyed(document)
    _servers(document)
    document["components"]["securitySchemes"][SECURITY_SCHEME].update({
        "description": "SASL/SCRAM-SHA-512 over TLS (SASL_SSL: the brokers' certificates are signed by the CA "
                       "given to each partner factory with its credentials), one user per partner factory named "
                       "after its factory id. A partner may "
                       f"read only {OFFERS.name} (its own id), in consumer group {PARTNER}, and write only "
                       f"{' and '.join(topic.name for topic in PARTNER_WRITES)} (x-acls).",
        "x-acls": partner_acls(),
    })
    document["channels"][OFFERS.name]["parameters"] = {FACTORY_ID: {
        "description": "The id of the partner factory the offers are for; only its user may read them.",
        "examples": [factory.id for factory in reference.load().partners],
    }}
    examples = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    for topic in PUBLISHED:
        _bindings(document, topic)
        for ref in document["channels"][topic.name]["messages"].values():
            message = document["components"]["messages"][unquote(ref["$ref"].rsplit("/", 1)[1])]
            message.update({
                "name": topic.event_type,
                "title": topic.name,
                "contentType": CONTENT_TYPE,
                "correlationId": {"location": "$message.payload#/correlationid",
                                  "description": "Shared by every event of one application's journey."},
                "headers": _headers(topic),
                "bindings": {"kafka": {"key": _key(topic), "bindingVersion": KAFKA_BINDING_VERSION}},
                "payload": {"allOf": [message["payload"], _envelope_rules(topic)]},
                "examples": [_example(topic, examples[topic.name])],
            })
    return document


@cache
def document() -> dict:
    return _complete(_generated())


def export(directory: Path = DEFAULT_OUT) -> list[Path]:
    """Write the document and the JSON Schema of every published message: what a partner builds its client from."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "asyncapi.json"
    path.write_text(json.dumps(document(), indent=2) + "\n", encoding="utf-8")
    return [path, *schemas.export(directory / "schemas")]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m contracts.asyncapi", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write (default: {DEFAULT_OUT})")
    for path in export(parser.parse_args().out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
