"""The AsyncAPI 3.0 document of every topic, generated from the registry and the payload models.

Served by intake at `/asyncapi.json`; partner factories build their clients from it and the JSON Schemas.
"""

from __future__ import annotations

from functools import cache

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from contracts.envelope import Envelope
from contracts.topics import PUBLISHED

TITLE = "Aiguillage message API"
VERSION = "1.0.0"


@cache
def document() -> dict:
    # A broker that never connects: it only describes the channels.
    broker = KafkaBroker("127.0.0.1:9092", description="The Luxembourg AI Factory's Kafka cluster")
    for topic in PUBLISHED:
        broker.publisher(
            topic.name, title=topic.name, schema=Envelope[topic.payload],
            description=f"{topic.payload.__doc__ or ''} Written by {topic.writer}; keyed by {topic.key}; "
                        f"{topic.partitions} partitions; dead letters on {topic.dlq}.".strip(),
        )
    spec = AsyncAPI(broker, title=TITLE, version=VERSION,
                    description="Events of the Luxembourg AI Factory's application routing, as CloudEvents 1.0 "
                                "envelopes in structured JSON mode.")
    return spec.to_specification().to_jsonable()
