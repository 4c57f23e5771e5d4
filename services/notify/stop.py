"""The stop link: every email ends with a link, and carries it in `List-Unsubscribe` (RFC 2369) with one-click
`List-Unsubscribe-Post` (RFC 8058), that stops every further email to its address.

The link carries a token, not the address: `<key>.<signature>`, where the key is an HMAC of the address under
notify's secret (so the address cannot be read back from a link, a log line or the table) and the signature an
HMAC of the key (so nobody but notify can make a link, and a stranger cannot fill the table). What is kept of an
address that asked to stop is its key (`StoppedAddress`).

The secret is STOP_LINK_SECRET; unset, one is made once in var/secrets/stop-link.key (replicas of notify must
share it: set STOP_LINK_SECRET in production). The links point at STOP_LINK_BASE_URL, the address under which
notify's `/v1/stop/` is public.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from contracts.envelope import now
from services.notify import messages as m
from services.notify.models import StoppedAddress
from services.runtime.db import SessionFactory, insert_ignoring_duplicates

TOKEN_SIGNATURE_CHARS = 32


def load_secret(configured: str | None, var_dir: Path) -> bytes:
    """STOP_LINK_SECRET, else the one kept in var/secrets/stop-link.key (made once, readable by its owner only)."""
    if configured:
        return configured.encode()
    path = var_dir / "secrets" / "stop-link.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def _mac(secret: bytes, purpose: str, value: str) -> str:
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def address_key(secret: bytes, address: str) -> str:
    """What stands for an address in the stop list: the same for any spelling of its case."""
    return _mac(secret, "address", address.strip().lower())


def token(secret: bytes, address: str) -> str:
    key = address_key(secret, address)
    return f"{key}.{_mac(secret, 'stop', key)[:TOKEN_SIGNATURE_CHARS]}"


def key_of(secret: bytes, link_token: str) -> str | None:
    """The address key a link's token stands for; None for a token notify did not make."""
    key, _, signature = link_token.partition(".")
    if hmac.compare_digest(_mac(secret, "stop", key)[:TOKEN_SIGNATURE_CHARS], signature):
        return key
    return None


def url(base_url: str, secret: bytes, address: str, language: str) -> str:
    return f"{base_url.rstrip('/')}/v1/stop/{token(secret, address)}?lang={language}"


def _page(language: str, text: str, *, form: bool) -> HTMLResponse:
    title, question, button, _done = m.STOP_PAGE.get(language, m.STOP_PAGE["en"])
    action = (f'<form method="post"><button type="submit">{html.escape(button)}</button></form>' if form else "")
    return HTMLResponse(f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
                        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
                        f"<p>{html.escape(text)}</p>{action}</body></html>")


def router(sessions: SessionFactory, secret: bytes) -> APIRouter:
    """GET shows the question (a link follower or a mail scanner stops nothing); POST, from that page's button or a
    mail client's one-click request, stops the emails."""
    routes = APIRouter(tags=["applicants"])

    def checked(link_token: str) -> str:
        key = key_of(secret, link_token)
        if key is None:
            raise HTTPException(404, "This link is not one of ours, or it was cut short: copy it whole from the email.")
        return key

    @routes.get("/v1/stop/{link_token}", response_class=HTMLResponse, summary="Asks whether to stop the emails")
    async def ask(link_token: str, lang: str = "en") -> HTMLResponse:
        checked(link_token)
        return _page(lang, m.STOP_PAGE.get(lang, m.STOP_PAGE["en"])[1], form=True)

    @routes.post("/v1/stop/{link_token}", response_class=HTMLResponse,
                 summary="Stops every further email to the address (the page's button, or RFC 8058 one-click)")
    async def stop(link_token: str, lang: str = "en") -> HTMLResponse:
        key = checked(link_token)
        async with sessions() as session:
            await session.exec(insert_ignoring_duplicates(session, StoppedAddress).values(
                address_key=key, stopped_at=now()))
            await session.commit()
        return _page(lang, m.STOP_PAGE.get(lang, m.STOP_PAGE["en"])[3], form=False)

    return routes
