"""The one place where Kafka clients get their reliability settings, and where records become envelopes.

Producer: acks=all with idempotence; messages to one partition keep their order. Consumers (services/runtime/
consumer.py): a named group, `earliest` for a new group (nothing published before the group joined is missed),
no auto-commit: an offset is committed only once what the record caused is in the database. Topics are never
created implicitly. The clients are aiokafka's, used directly: the services consume in batches, and a
framework's per-message machinery (a span, a metric and a log line per message and hop) cost more than the
work (bench/, profiled).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context

from contracts import signing
from contracts.envelope import Envelope, dataschema_of
from contracts.topics import Topic, by_name
from services.runtime.dead_letter import PermanentError
from services.runtime.messages import envelope_class
from services.runtime.partners import PartnerKeys
from services.runtime.settings import Settings

CONTENT_TYPE = ("content-type", b"application/cloudevents+json")
CE_PREFIX = "ce_"  # a binary-mode record's attribute headers (the CloudEvents Kafka binding)


def client_options(settings: Settings) -> dict[str, Any]:
    """Where the cluster is and how to reach it (TLS with a CA file, SASL/SCRAM-SHA-512 with a user)."""
    return {"bootstrap_servers": settings.kafka_bootstrap_servers.split(","),
            "client_id": f"aiguillage-{settings.service_name}",
            **security_options(settings.kafka_username, settings.kafka_password, settings.kafka_ssl_cafile)}


def security_options(username: str | None, password: str | None, ssl_cafile: Path | None) -> dict[str, Any]:
    """aiokafka's settings to sign in as a SASL/SCRAM-SHA-512 user (when both are given) over TLS whose broker
    certificate is checked against the CA in `ssl_cafile` (when given): SASL_SSL, SSL, SASL_PLAINTEXT or PLAINTEXT."""
    options: dict[str, Any] = {}
    if username and password:
        options.update(sasl_mechanism="SCRAM-SHA-512", sasl_plain_username=username, sasl_plain_password=password)
    if ssl_cafile:  # create_ssl_context verifies the certificate and the host name by default
        options["ssl_context"] = create_ssl_context(cafile=str(ssl_cafile))
    sasl = "SASL_" if "sasl_mechanism" in options else ""
    options["security_protocol"] = sasl + ("SSL" if ssl_cafile else "PLAINTEXT")
    return options


class Kafka:
    """A service's producer, and a ping of the cluster for /healthz."""

    def __init__(self, settings: Settings) -> None:
        self._options = client_options(settings)
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None

    @property
    def options(self) -> dict[str, Any]:
        return dict(self._options)

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(**self._options, acks="all", enable_idempotence=True, linger_ms=1)
        await self._producer.start()

    async def stop(self) -> None:
        for client in (self._producer, self._admin):
            if client is not None:
                await client.stop() if isinstance(client, AIOKafkaProducer) else await client.close()
        self._producer = self._admin = None

    async def ping(self, timeout: float = 2.0) -> bool:
        """Whether the cluster answers within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                if self._admin is None:
                    admin = AIOKafkaAdminClient(**self._options, request_timeout_ms=int(timeout * 1000))
                    await admin.start()
                    self._admin = admin
                await self._admin.describe_cluster()
            return True
        except Exception:  # noqa: BLE001 - any failure means: not answering now
            return False

    async def publish(self, value: bytes, *, topic: str, key: bytes, headers: Sequence[tuple[str, bytes]] | dict
                      = (), confirm: bool = True) -> Any:
        """Publish and wait for the broker's acknowledgement; with `confirm=False`, return as soon as the record
        is in the producer's buffer, with a future of the acknowledgement."""
        if self._producer is None:
            raise ConnectionError("the service's Kafka producer is not started")
        pairs = [(name, v if isinstance(v, bytes) else str(v).encode())
                 for name, v in (headers.items() if isinstance(headers, dict) else headers)]
        future = await self._producer.send(topic, value, key=key, headers=pairs)
        return await future if confirm else future


async def publish(kafka: Kafka, topic: Topic, envelope: Envelope) -> None:
    """Publish an envelope keyed by its application id, so one application's events keep their order."""
    await kafka.publish(envelope.model_dump_json().encode(), topic=topic.name, key=envelope.subject.encode(),
                        headers=[CONTENT_TYPE])


@cache
def _reader(topic_name: str) -> tuple[type[Envelope], str]:
    try:
        topic = by_name(topic_name)
    except KeyError as error:
        raise PermanentError(str(error)) from error
    return envelope_class(topic.payload), topic.dataschema


def decode(record: ConsumerRecord, partner_keys: PartnerKeys | None = None, topic: Topic | None = None) -> Envelope:
    """The envelope of a record on one of our topics, in either mode of the CloudEvents Kafka binding: structured
    (the event as JSON in the value, whatever its content-type says) or binary (the attributes in `ce_` headers,
    the JSON data in the value). It must follow the topic's schema version (`dataschema`) and is validated once
    against the topic's payload model. A record on a topic partners write must be structured, signed by the
    partner its source names, and its payload must speak for that same partner. Anything else raises an error the
    consumer dead-letters at once (PermanentError, pydantic's ValidationError, a JSON or Unicode error). `topic`:
    the reader's own view of the record's topic, when it differs from the registry's (offers arriving from
    partners' instances are signed, contracts.topics.offers_arriving)."""
    model, expected = _reader(record.topic)
    attributes = _binary_attributes(record)
    claimed_field = (topic or by_name(record.topic)).signed_by
    if claimed_field:  # checked before the fields: a stranger's message is refused for who sent it
        if attributes:  # the signature covers the value alone: a binary record's attributes would go unsigned
            raise PermanentError(f"{record.topic} takes structured events only: partners sign the whole event")
        body = _check_version(json.loads(record.value), record.topic, expected)
        if partner_keys is None:
            raise PermanentError(f"{record.topic} is written by partners, and this reader holds no keys")
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        signature = next((v.decode("utf-8", "replace") for k, v in record.headers or () if k == signing.KAFKA_HEADER),
                         None)
        partner_keys.check(body.get("source"), data.get(claimed_field), record.value, signature)
        return model.model_validate(body)
    if attributes:
        return model.model_validate(_check_version({**attributes, "data": json.loads(record.value)}, record.topic,
                                                   expected))
    try:
        envelope = model.model_validate_json(record.value)
    except Exception:
        _check_version(json.loads(record.value), record.topic, expected)  # an unknown version says more
        raise
    if envelope.dataschema != expected:
        raise PermanentError(f"dataschema {envelope.dataschema} on {record.topic}; this reader knows {expected}")
    return envelope


def _binary_attributes(record: ConsumerRecord) -> dict[str, str]:
    """The CloudEvents attributes of a binary-mode record (`ce_<name>` headers, `content-type` for
    `datacontenttype`); none for a structured one."""
    headers = [(name.lower(), value) for name, value in record.headers or ()]
    attributes = {name.removeprefix(CE_PREFIX): value.decode() for name, value in headers
                  if name.startswith(CE_PREFIX)}
    if attributes:
        attributes.update({"datacontenttype": value.decode() for name, value in headers if name == CONTENT_TYPE[0]})
    return attributes


def _check_version(body: Any, topic_name: str, expected: str) -> dict:
    """`body`, if it is an event that follows the schema version the topic's readers know."""
    found = dataschema_of(body) if isinstance(body, dict) else None
    if found != expected:
        raise PermanentError(f"dataschema {found} on {topic_name}; this reader knows {expected}")
    return body
