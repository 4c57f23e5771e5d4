"""Sending the same application twice makes one application: a client's retry after a lost 202 (the
`Idempotency-Key` header of `POST /v1/applications`) or a double click on the web form (its one-time token).

A key is kept IDEMPOTENCY_KEY_HOURS (24) in intake's database, written in the transaction that takes the
application in, so there is never an application without its key, nor a key without its application. Keys
belong to a client (its address, the one the rate limit counts; the form's token is unguessable anyway): the
same key from another client is another key, and never reads this client's answer. Within that time, the same key
with the same application (compared as the model reads it, so a retry's whitespace does not matter) gets the first
answer: the same application id and status link; with another application, `KeyReused` (a 409).

Only hashes are stored. The status link's secret of a keyed submission is derived from the key (HMAC-SHA256 with a
random salt kept beside it), so that the answer can be given again without the secret ever being stored: the
table alone opens no status link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import now
from services.intake.applications.counters import fingerprint
from services.intake.applications.requests import SubmitApplication
from services.intake.models import IdempotencyKey
from services.runtime.db import as_utc
from services.runtime.reactions import Tx

HEADER = "Idempotency-Key"
FORM_FIELD = "submission_token"
MAX_LENGTH = 255
# Printable ASCII without spaces, quotes or separators a proxy might change: a UUID, a ULID, base64url all fit.
_KEY = re.compile(r"[A-Za-z0-9._~:+/=-]{1,%d}" % MAX_LENGTH)


def problem(key: str) -> str | None:
    """Why `key` is not a key we take, or None."""
    if not key or len(key) > MAX_LENGTH:
        return f"a key has 1 to {MAX_LENGTH} characters (a UUID is a good key)"
    if not _KEY.fullmatch(key):
        return "a key holds only ASCII letters, digits and . _ ~ : + / = - (a UUID is a good key)"
    return None


def client_of(request: Request) -> str:
    """Whose keys a request's are: its client address, the one the rate limit counts."""
    return request.client.host if request.client else "unknown"


def new_form_token() -> str:
    """The one-time token of a rendered form."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Key:
    """A client's key for one submission, and the application it sends under it."""

    client: str
    key: str
    application: SubmitApplication
    hours: float

    @property
    def key_hash(self) -> str:
        return fingerprint(f"{self.client}\n{self.key}")

    @property
    def body_hash(self) -> str:
        return fingerprint(self.application.model_dump_json())

    def token(self, salt: str) -> str:
        """The status link's secret of the application made under this key."""
        digest = hmac.new(self.key.encode(), salt.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode()


class KeyReused(Exception):
    """The key was used, within its time, for another application."""

    def __init__(self, hours: float) -> None:
        super().__init__(f"{HEADER}: this key was used for another application in the last {hours:g} hours; "
                         f"send a new application with a new key")


async def answered(session: AsyncSession, key: Key) -> tuple[str, str] | None:
    """The application this key made within its time, as its id and the secret of its status link, or None;
    `KeyReused` if it was made with another body."""
    kept = await session.get(IdempotencyKey, key.key_hash)
    if kept is None or as_utc(kept.created_at) < expired_before(key.hours):
        return None
    if not hmac.compare_digest(kept.body_hash, key.body_hash):
        raise KeyReused(key.hours)
    return kept.application_id, key.token(kept.token_salt)


async def keep(tx: Tx, key: Key, application_id: str) -> str:
    """Keep the key with the application it makes, in the transaction that takes it in (a key past its time is
    replaced); returns the secret of the application's status link."""
    await tx.exec(delete(IdempotencyKey).where(
        col(IdempotencyKey.key_hash) == key.key_hash, col(IdempotencyKey.created_at) < expired_before(key.hours)))
    salt = secrets.token_urlsafe(16)
    tx.add(IdempotencyKey(key_hash=key.key_hash, body_hash=key.body_hash, application_id=application_id,
                          token_salt=salt, created_at=now()))
    return key.token(salt)


def expired_before(hours: float) -> datetime:
    return now() - timedelta(hours=hours)


async def forget_expired(session: AsyncSession, hours: float) -> None:
    await session.exec(delete(IdempotencyKey).where(  # type: ignore[call-overload]
        col(IdempotencyKey.created_at) < expired_before(hours)))
