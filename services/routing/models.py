"""routing's data: only what the runtime keeps for it (the outbox of its events, the inbox of processed ones)."""

from __future__ import annotations

from services.runtime.inbox import ProcessedEvent
from services.runtime.outbox import OutboxMessage

TABLES = (OutboxMessage, ProcessedEvent)
