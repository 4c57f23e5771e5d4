"""Who may use the staff console: named accounts, server-side sessions, and CSRF tokens bound to them.

- Passwords are kept as Argon2id hashes (argon2-cffi's defaults, rehashed when those defaults move on).
- A session id lives only in the browser's cookie (HttpOnly, SameSite=Lax, Secure over https); the database keeps
  its SHA-256, so reading the table opens no session. A session ends STAFF_SESSION_MINUTES after sign-in.
- Every form carries a CSRF token derived from the session id (HMAC), so it needs no storage and is worthless
  without the cookie. The sign-in form, before any session, is bound the same way to a cookie of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import now
from services.intake.models import StaffAccount, StaffSession
from services.runtime.db import as_utc

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
SESSION_COOKIE = "aif_staff_session"
SIGN_IN_COOKIE = "aif_staff_sign_in"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
HOME = "/console"
# Expired sessions are kept this long to tell their owner "your session has expired", then deleted.
KEEP_EXPIRED = timedelta(days=7)

hasher = PasswordHasher()


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    return None


def hash_password(password: str) -> str:
    return hasher.hash(password)


@cache
def _stand_in_hash() -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def check_password(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Whether `password` matches, and a new hash to store when the parameters have moved on. An unknown user
    (`password_hash` None) costs the same time as a known one, so timing does not tell which usernames exist."""
    try:
        hasher.verify(password_hash or _stand_in_hash(), password)
    except (VerificationError, InvalidHashError):
        return False, None
    if password_hash is None:
        return False, None
    return True, hash_password(password) if hasher.check_needs_rehash(password_hash) else None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def session_id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(secret: str) -> str:
    """The CSRF token of the session (or sign-in cookie) whose secret is `secret`."""
    return hmac.new(secret.encode(), b"aiguillage staff console csrf", hashlib.sha256).hexdigest()


def csrf_valid(secret: str | None, token: str | None) -> bool:
    return bool(secret and token) and hmac.compare_digest(csrf_token(secret).encode(), token.encode())  # type: ignore[union-attr]


def expired(expires_at: datetime, moment: datetime) -> bool:
    return as_utc(expires_at) <= moment


def local_path(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never '//host' or 'https://...'), else home."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in target):
        return HOME
    return target


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member of a request."""

    username: str
    name: str
    role: str
    session_id: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_id)

    @property
    def may_override(self) -> bool:
        return self.role in ("triager", "admin")

    @property
    def may_record_journey(self) -> bool:
        return self.role in ("expert", "triager", "admin")


@dataclass(frozen=True)
class NoSession:
    """Why a request has no staff member: 'required' (no cookie, or an unknown session) or 'expired'."""

    reason: str


async def authenticate(session: AsyncSession, username: str, password: str, client: str) -> StaffAccount | None:
    """The active account with this username and password, else None; a failure is logged (never the
    password), and a stored hash on old parameters is replaced."""
    account = await session.get(StaffAccount, username)
    usable = account if account is not None and account.active else None
    matches, new_hash = await asyncio.to_thread(check_password, usable.password_hash if usable else None, password)
    if not matches or usable is None:
        why = "unknown username" if account is None else "account disabled" if not account.active else "wrong password"
        log.warning("staff sign-in failed for username %r from %s: %s", username, client, why)
        return None
    if new_hash:
        usable.password_hash = new_hash
        session.add(usable)
    return usable


async def open_session(session: AsyncSession, account: StaffAccount, minutes: float) -> str:
    """Stage a new session for `account`; returns its id, which only the browser keeps. Sessions expired long
    ago are forgotten on the way."""
    moment = now()
    await session.exec(delete(StaffSession).where(col(StaffSession.expires_at) < moment - KEEP_EXPIRED))  # type: ignore[call-overload]
    session_id = new_secret()
    session.add(StaffSession(id_hash=session_id_hash(session_id), username=account.username, created_at=moment,
                             expires_at=moment + timedelta(minutes=minutes)))
    return session_id


async def find_staff(session: AsyncSession, session_id: str | None) -> Staff | NoSession:
    if not session_id:
        return NoSession("required")
    found = (await session.exec(
        select(StaffSession, StaffAccount).join(StaffAccount)
        .where(StaffSession.id_hash == session_id_hash(session_id))
    )).first()
    if found is None or not found[1].active:
        return NoSession("required")
    staff_session, account = found
    if expired(staff_session.expires_at, now()):
        return NoSession("expired")
    return Staff(account.username, account.name, account.role, session_id)


async def close_session(session: AsyncSession, session_id: str) -> None:
    await session.exec(delete(StaffSession).where(col(StaffSession.id_hash) == session_id_hash(session_id)))  # type: ignore[call-overload]
