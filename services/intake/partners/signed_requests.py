"""Signed requests of the partner bridge: who sent a request, checked against the partners' keys, within the
replay window around its timestamp, once, and only for itself (the identity rules of the Kafka topics, over
HTTP: contracts/signing.py). A refused request changes nothing and is logged with who was refused what, and why.

The signatures already seen are kept in the database, so that every intake replica refuses a replay; each one
is recorded in the transaction of the request's effect, and forgotten once its timestamp has left the window.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Header, Path, Request
from sqlalchemy import delete
from sqlmodel import col

from contracts import signing
from contracts.envelope import now
from services.intake.errors import Refusal
from services.intake.models import BridgeRequest
from services.runtime.db import insert_ignoring_duplicates
from services.runtime.partners import PartnerKeys
from services.runtime.reactions import Tx
from services.runtime.service import Runtime

HEADERS = (signing.HTTP_PARTNER, signing.HTTP_TIMESTAMP, signing.HTTP_SIGNATURE)
FACTORY_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"  # as the reference data writes them, e.g. 'jaif', 'bsc-aif'

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedRequest:
    """A bridge request whose signature was checked: the partner that sent it, and what makes it unique."""

    factory_id: str
    method: str
    path: str
    signature: str
    signed_at: datetime

    def refusal(self, status: int, error: str, message: str) -> Refusal:
        return refused(self.factory_id, self.method, self.path, Refusal(status, error, message))


def refused(partner: str | None, method: str, path: str, refusal: Refusal) -> Refusal:
    """`refusal`, logged: an operator sees who was refused what, and why."""
    log.warning("partner bridge refused %s %r for partner %r (%d): %s", method, path, partner,
                refusal.status_code, refusal.detail)
    return refusal


def may_not_act(partner: str, other: str) -> str:
    return f"partner {partner} may not act for {other}"


def authenticate(keys: PartnerKeys, headers: Mapping[str, str | None], *, method: str, path: str, body: bytes,
                 factory_id: str, now: float, window: int) -> SignedRequest:
    """The request of partner `headers[X-AIF-Partner]`, after checking that it signed it with its own private key
    (checked with its public key), within `window` seconds of `now` (Unix seconds), and acts for itself
    (`factory_id` of the path); else a Refusal naming what is wrong. Whether the request was seen before is
    checked in its transaction (`remember`)."""
    if missing := [name for name in HEADERS if not headers.get(name)]:
        raise Refusal(401, "unauthorized", f"missing header {', '.join(missing)}: every bridge request carries "
                                           f"{', '.join(HEADERS)}, signed with the partner's private key")
    partner, timestamp, signature = (str(headers[name]) for name in HEADERS)
    key = keys.key_of(partner)
    if key is None:
        raise Refusal(401, "unauthorized", f"unknown partner {partner!r}: no public key is registered for it")
    if not signing.verify(key, signing.http_payload(timestamp, method, path, body), signature):
        raise Refusal(401, "unauthorized",
                      f"signature does not match: {signing.HTTP_SIGNATURE} must be '{signing.SCHEME}' and the base64 "
                      f"Ed25519 signature, with partner {partner}'s private key, of "
                      f"'<{signing.HTTP_TIMESTAMP}>\\n<METHOD>\\n<path>\\n' followed by the body")
    if not re.fullmatch(r"[0-9]{1,12}", timestamp) or abs(now - int(timestamp)) > window:
        raise Refusal(401, "unauthorized",
                      f"{signing.HTTP_TIMESTAMP} {timestamp!r} is outside the replay window of {window} s around "
                      f"this server's time ({int(now)}): sign each request with the current Unix time in seconds")
    if partner != factory_id:
        raise Refusal(403, "forbidden", may_not_act(partner, factory_id))
    return SignedRequest(partner, method, path, signature, datetime.fromtimestamp(int(timestamp), UTC))


def require_signed_request(keys: PartnerKeys, window: int):
    """A dependency that lets through a request signed by the partner of its path (see `authenticate`)."""

    async def check(
        request: Request,
        factory_id: Annotated[str, Path(pattern=FACTORY_ID, description="The partner's factory id, e.g. 'jaif'.")],
        partner: Annotated[str | None, Header(alias=signing.HTTP_PARTNER,
                                              description="The partner's factory id, e.g. 'jaif'.")] = None,
        timestamp: Annotated[str | None, Header(alias=signing.HTTP_TIMESTAMP,
                                                description="Unix time of the request, in seconds.")] = None,
        signature: Annotated[str | None, Header(
            alias=signing.HTTP_SIGNATURE,
            description="`ed25519=<base64>`: the Ed25519 signature, with the partner's private key, of "
                        "`<timestamp>\\n<METHOD>\\n<path>\\n` followed by the body.")] = None,
    ) -> SignedRequest:
        try:
            return authenticate(keys, dict(zip(HEADERS, (partner, timestamp, signature))), method=request.method,
                                path=request.url.path, body=await request.body(), factory_id=factory_id,
                                now=time.time(), window=window)
        except Refusal as refusal:
            raise refused(partner, request.method, request.url.path, refusal) from None

    return check


async def remember(tx: Tx, signed: SignedRequest) -> None:
    """Record the request's signature in the caller's transaction; a signature seen before is a replay."""
    statement = insert_ignoring_duplicates(tx.session, BridgeRequest).values(
        signature=signed.signature, factory_id=signed.factory_id, signed_at=signed.signed_at, seen_at=now())
    if (await tx.exec(statement)).rowcount != 1:
        raise signed.refusal(409, "replayed", "replayed: this signed request was received before; sign every "
                                              "request anew, with the current time")


async def forget_old_requests(runtime: Runtime, window: int) -> None:
    """Now and then, forget the signatures whose timestamp has left the replay window: they can never be valid
    again, so they need no remembering."""
    while True:
        try:
            async with runtime.transaction() as tx:
                await tx.exec(delete(BridgeRequest).where(
                    col(BridgeRequest.signed_at) < now() - timedelta(seconds=window)))
        except Exception:  # noqa: BLE001 - the database is away; the next round tries again
            log.exception("partner bridge: forgetting old request signatures failed")
        await asyncio.sleep(window)
