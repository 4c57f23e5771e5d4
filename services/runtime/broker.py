"""The one place where Kafka producers and subscribers get their reliability settings.

Producers: acks=all with idempotence. Subscribers: a named consumer group, `earliest` for a new group (nothing
published before the group joined is missed) and NACK_ON_ERROR: the offset is committed only after the handler
(or the dead-letter middleware) is done with the message. Topics are never created implicitly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.middlewares import AckPolicy
from faststream.security import SASLScram512
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from contracts import signing
from contracts.envelope import Envelope
from contracts.topics import Topic, by_name
from services.runtime.dead_letter import PermanentError, dead_letter_middleware
from services.runtime.partners import PartnerKeys
from services.runtime.settings import Settings


async def decode_envelope(message: StreamMessage[Any]) -> Any:
    """Every message on our topics is a JSON envelope of the topic's schema version, whatever its content-type
    says. Anything else is a poison message, which the dead-letter middleware sends on at once."""
    body = json.loads(message.body)
    try:
        expected = by_name(message.raw_message.topic).schema_version
    except KeyError as error:
        raise PermanentError(str(error)) from error
    found = body.get("schema_version") if isinstance(body, dict) else None
    if found != expected:
        raise PermanentError(f"schema_version {found} on {message.raw_message.topic}; this reader knows {expected}")
    return body


def signed_by_partner(keys: PartnerKeys, claimed_field: str):
    """The decoder of a topic partners write: the envelope must be signed by the partner its source names, and
    its payload's `claimed_field` (e.g. `factory_id`) must name that same partner; else a dead letter naming why."""

    async def decoder(message: StreamMessage[Any]) -> Any:
        body = await decode_envelope(message)
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        keys.check(body.get("source"), data.get(claimed_field), message.body,
                   (message.headers or {}).get(signing.KAFKA_HEADER))
        return body

    return decoder


SUBSCRIBER_DEFAULTS: dict[str, Any] = {
    "ack_policy": AckPolicy.NACK_ON_ERROR,
    "auto_offset_reset": "earliest",
    "decoder": decode_envelope,
}


def make_broker(settings: Settings, tracing: TracerProvider, registry: CollectorRegistry) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers.split(","),
        client_id=f"aiguillage-{settings.service_name}",
        acks="all",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        # FastStream's "Received" and "Processed" lines for every message cost more CPU than some handlers; they
        # show only with LOG_EACH_MESSAGE=true. Failures are logged either way, at ERROR, and traced.
        logger=logging.getLogger(f"aiguillage.{settings.service_name}.messages"),
        log_level=logging.INFO if settings.log_each_message else logging.DEBUG,
        security=(SASLScram512(settings.kafka_username, settings.kafka_password)
                  if settings.kafka_username and settings.kafka_password else None),
        # Outermost first: dead-lettering sees the error after telemetry has recorded it.
        middlewares=(
            dead_letter_middleware(settings.service_name, settings.max_attempts, settings.retry_backoff_seconds),
            KafkaTelemetryMiddleware(tracer_provider=tracing),
            KafkaPrometheusMiddleware(registry=registry, app_name=settings.service_name),
        ),
    )


def subscribe(broker: KafkaBroker, topic: Topic | Sequence[Topic], group_id: str, *,
              partner_keys: PartnerKeys | None = None, **options: Any):
    """Decorator registering a handler of `topic` in consumer group `group_id` with the reliability settings.
    A topic partners write needs their `partner_keys`: every message on it must be signed by its partner.
    Several topics of one kind (e.g. every partner's offer topic) are read by one consumer: one group member
    instead of one per topic."""
    read = [topic] if isinstance(topic, Topic) else list(topic)
    names = ", ".join(t.name for t in read)
    signed_by = {t.signed_by for t in read}
    if len(signed_by) != 1:
        raise ValueError(f"one subscriber reads topics that are signed alike, not [{names}]")
    claimed = signed_by.pop()
    if claimed:
        if partner_keys is None:
            raise ValueError(f"{names} is written by partner factories: subscribing needs their keys")
        options = {"decoder": signed_by_partner(partner_keys, claimed), **options}
    return broker.subscriber(*(t.name for t in read), group_id=group_id, **{**SUBSCRIBER_DEFAULTS, **options})


async def publish(broker: KafkaBroker, topic: Topic, envelope: Envelope) -> None:
    """Publish an envelope keyed by its application id, so one application's events keep their order."""
    await publish_json(broker, topic.name, envelope.subject, envelope.model_dump_json())


async def publish_json(broker: KafkaBroker, topic_name: str, key: str, payload: str, *,
                       confirm: bool = True) -> Any:
    """Publish and wait for the broker's acknowledgement; with `confirm=False`, return as soon as the message is
    in the producer's buffer, with a future of the acknowledgement (messages to one partition keep their order)."""
    return await broker.publish(
        payload.encode(), topic=topic_name, key=key.encode(),
        headers={"content-type": "application/cloudevents+json"}, no_confirm=not confirm,
    )
