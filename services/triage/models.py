"""triage's data: only what the runtime keeps for it (the outbox of its events, the inbox of processed ones, the
registry of erased applications)."""

from __future__ import annotations

from services.runtime.inbox import ProcessedEvent
from services.runtime.outbox import OutboxMessage
from services.runtime.privacy import ErasedApplication

TABLES = (OutboxMessage, ProcessedEvent, ErasedApplication)
