"""Who may use the staff console: named accounts, server-side sessions, and CSRF tokens bound to them.

- Passwords are kept as Argon2id hashes (argon2-cffi's defaults, rehashed when those defaults move on).
- A session id lives only in the browser's cookie (HttpOnly, SameSite=Lax, Secure over https); the database keeps
  its SHA-256, so reading the table opens no session. A session ends STAFF_SESSION_MINUTES after sign-in.
- Every form carries a CSRF token derived from the session id (HMAC), so it needs no storage and is worthless
  without the cookie. The sign-in form, before any session, is bound the same way to a cookie of its own.
- Sign-in attempts are throttled (`SignInThrottle`) before any password is verified, since each verification costs
  64 MiB of Argon2: each attempt first takes its place among the attempts a minute of its account (5) and of its
  client address (30), counted in the database (applications/counters.py: every replica and parallel request
  counts alike; a successful sign-in gives its place back, so only failures count), then among the verifications
  running at once in this process for its account (2) and its address (4). Past either, 429 at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import now
from services.intake.applications.counters import Limit, add_one, take_back
from services.intake.models import StaffAccount, StaffSession
from services.runtime.db import as_utc
from services.runtime.reactions import Tx

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


class Throttled(Exception):
    """A sign-in attempt refused before its password is verified; `retry_after` in seconds."""

    def __init__(self, why: str, retry_after: int) -> None:
        super().__init__(why)
        self.retry_after = retry_after


@dataclass
class SignInThrottle:
    """Attempts a minute per account and per client address (in the database, shared by every replica), and
    verifications at once per account and per address (in this process: each replica allows as many)."""

    per_account: Limit = Limit(5, 60)
    per_address: Limit = Limit(30, 60)
    at_once_per_account: int = 2
    at_once_per_address: int = 4
    running: Counter[str] = field(default_factory=Counter)

    def _keys(self, username: str, client: str) -> tuple[tuple[str, Limit, int], ...]:
        return ((f"sign-in-account:{username.lower()}", self.per_account, self.at_once_per_account),
                (f"sign-in-address:{client}", self.per_address, self.at_once_per_address))

    @asynccontextmanager
    async def attempt(self, transaction: Callable[[], AbstractAsyncContextManager[Tx]], username: str,
                      client: str) -> AsyncIterator[None]:
        """Within the block, the password may be verified; `Throttled` instead when too many attempts came (or
        are being verified) for this account or from this address. The attempt is counted first, in its own
        transaction committed before anything else, so attempts in parallel see each other; one refused for the
        verifications running at once still counts (it was a try)."""
        keys = self._keys(username, client)
        async with transaction() as tx:
            for key, limit, _ in keys:
                counted = await add_one(tx.session, key, limit)
                if not counted.within:  # raised within the transaction: this attempt is not counted
                    raise Throttled("too many failed attempts", counted.retry_after)
        if any(self.running[key] >= at_once for key, _, at_once in keys):  # counted all the same: it tried
            raise Throttled("too many sign-ins at once", 1)
        for key, _, _ in keys:
            self.running[key] += 1
        try:
            yield
        finally:
            for key, _, _ in keys:
                self.running[key] -= 1
                if not self.running[key]:
                    del self.running[key]

    async def succeeded(self, session: AsyncSession, username: str, client: str) -> None:
        """A successful sign-in gives its attempt back: only failures count."""
        for key, limit, _ in self._keys(username, client):
            await take_back(session, key, limit)
