"""OpenTelemetry for one service: spans to a JSON-lines file (or nowhere), and a Prometheus registry.

Trace context crosses Kafka in the `traceparent` header (written by FastStream's telemetry middleware), so one
application's spans in all four services share one trace id.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Sequence

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from prometheus_client import CollectorRegistry

from services.runtime import ordering
from services.runtime.settings import Settings


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON object per finished span to a file; enough to follow a trace on one machine."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(_span_record(span)) + "\n" for span in spans]
        with self._lock, self._path.open("a", encoding="utf-8") as out:
            out.writelines(lines)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def _span_record(span: ReadableSpan) -> dict:
    context = span.get_span_context()
    return {
        "service": span.resource.attributes.get("service.name"),
        "name": span.name,
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
        "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "attributes": {k: str(v) for k, v in (span.attributes or {}).items()},
    }


def tracer_provider(settings: Settings) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
    if settings.traces_exporter == "file":
        exporter = JsonLinesSpanExporter(settings.var_dir / "traces" / f"{settings.service_name}.jsonl")
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=200))
    return provider


def current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def metrics_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(ordering.STALE_EVENTS)
    return registry
