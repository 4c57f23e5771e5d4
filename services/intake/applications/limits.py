"""Limits on intake's public API, as pure ASGI middleware: a request body size limit, and a rate limit on
submissions per client address.

- A body larger than `max_body_bytes` gets `413 payload_too_large`, whether its Content-Length says so (nothing
  is read) or a chunked body grows past the limit while it streams (at most the limit plus one chunk is held).
- Submissions (`POST /v1/applications` and the web form's `POST /apply`, counted together: the two doors are one
  limit) are rate limited per client address with a token bucket: `rate_limit_per_minute` tokens a minute, a
  burst of as many; an empty bucket gets `429 rate_limited` with a `Retry-After` header.
  The status link, /healthz, /metrics and the documents are not limited. 0 disables the rate limit. Every
  attempt takes a token, refused ones (413, 422) too: the rate limit is checked before any of the body is read.

Both answer in intake's error shape: `{"error", "message", "errors": []}`, the message naming the limit, and
count in the `intake_requests_refused_total{reason}` metric. A refused web form gets a page in the applicant's
language instead, with the same status code (applications/form.py).

The buckets live in the process: several intake replicas each keep their own, so a client spread over N
replicas by a load balancer gets up to N times the limit. The client address is the one uvicorn gives the
app: the peer address, or the X-Forwarded-For address when the peer is a trusted proxy (uvicorn's
`--forwarded-allow-ips`, by default 127.0.0.1 only).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from services.intake import errors
from services.intake.applications.form import FORM_PATH, refusal_page
from services.intake.errors import ErrorBody

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SUBMISSIONS = {("POST", "/v1/applications"), ("POST", FORM_PATH)}


# The extra answers of `POST /v1/applications`, for its OpenAPI `responses`.
RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody,
          "description": "The body is larger than the limit (MAX_BODY_BYTES, 64 KiB by default); "
                         "the message names it."},
    429: {"model": ErrorBody,
          "description": "Too many submissions from this client address (RATE_LIMIT_PER_MINUTE, 60 by default), "
                         "or for this contact email address or its domain in 24 hours "
                         "(APPLICATIONS_PER_ADDRESS_PER_DAY, 3, and APPLICATIONS_PER_DOMAIN_PER_DAY, 30; the "
                         "message names contact.email); try again after Retry-After seconds.",
          "headers": {"Retry-After": {"description": "Seconds until a submission is accepted again.",
                                      "schema": {"type": "integer", "minimum": 1}}}},
}


async def send_error(send: Send, status: int, error: str, message: str,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    content = json.dumps(errors.body(error, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": content})


async def refuse(scope: Scope, receive: Receive, send: Send, status: int, error: str, message: str,
                 headers: list[tuple[bytes, bytes]] | None = None, **limit: int) -> None:
    """Answer a refusal: JSON for the API, a page for a person at the web form (`limit` fills its sentence)."""
    if scope["path"] == FORM_PATH:
        page = refusal_page(scope, status, error, limit)
        page.headers.update({name.decode(): value.decode() for name, value in headers or []})
        await page(scope, receive, send)
        return
    await send_error(send, status, error, message, headers)


def _size(n: int) -> str:
    return f"{n} bytes ({n / 1024:g} KiB)" if n % 1024 == 0 else f"{n} bytes"


class BodySizeLimit:
    """413 for a request body over `max_body_bytes`. The app gets the body only once it is known to fit."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, on_refused: Callable[[], None] = lambda: None) -> None:
        if max_body_bytes <= 0:
            raise ValueError("max_body_bytes must be positive")
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.on_refused = on_refused

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.on_refused()
        await refuse(scope, receive, send, 413, "payload_too_large",
                     f"The request body is larger than the limit of {_size(self.max_body_bytes)}.",
                     max_bytes=self.max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self.refuse(scope, receive, send)  # nothing read; the server discards the rest of the body
            return

        # Chunked, or announced within the limit: read it, counting, and stop at the first chunk past the limit.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away; nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self.refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: waits for the disconnect, as the server's receive does

        await self.app(scope, replay, send)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One token bucket per key: `per_minute` tokens a minute, holding at most `burst`."""

    def __init__(self, per_minute: int, burst: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.per_second = per_minute / 60
        self.burst = float(burst if burst is not None else per_minute)
        self.clock = clock
        self.buckets: dict[str, _Bucket] = {}
        self._swept = clock()

    def _tokens(self, key: str, now: float) -> float:
        bucket = self.buckets.get(key)
        if bucket is None:
            return self.burst
        return min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)

    def wait(self, key: str) -> float:
        """Without taking one: 0 when `key` has a token, else the seconds until it has."""
        tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.per_second

    def take(self, key: str) -> float:
        """Take a token for `key`: 0 when there was one, else the seconds until there is one."""
        now = self.clock()
        self._sweep(now)
        tokens = self._tokens(key, now)
        if tokens >= 1:
            self.buckets[key] = _Bucket(tokens - 1, now)
            return 0.0
        self.buckets[key] = _Bucket(tokens, now)
        return (1 - tokens) / self.per_second

    def _sweep(self, now: float) -> None:
        """Forget the buckets that have filled up again (a full bucket is the same as none), once per refill time,
        so that the memory held is bounded by the addresses seen in the last refill time."""
        refill_seconds = self.burst / self.per_second
        if now - self._swept < refill_seconds:
            return
        self._swept = now
        self.buckets = {key: bucket for key, bucket in self.buckets.items()
                        if bucket.tokens + (now - bucket.updated) * self.per_second < self.burst}


class SubmissionRateLimit:
    """429 with Retry-After for a client address that submits faster than the limit; other requests pass."""

    def __init__(self, app: ASGIApp, per_minute: int, burst: int | None = None,
                 clock: Callable[[], float] = time.monotonic, on_refused: Callable[[], None] = lambda: None) -> None:
        self.app = app
        self.per_minute = per_minute
        self.buckets = TokenBuckets(per_minute, burst, clock) if per_minute > 0 else None
        self.on_refused = on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.buckets is None or scope["type"] != "http"
                or (scope["method"], scope["path"]) not in SUBMISSIONS):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "unknown")
        if wait == 0:
            await self.app(scope, receive, send)
            return
        self.on_refused()
        retry_after = max(1, math.ceil(wait))
        await refuse(scope, receive, send, 429, "rate_limited",
                     f"Too many applications from this address: the limit is {self.per_minute} per minute. "
                     f"Try again in {retry_after} s.",
                     headers=[(b"retry-after", str(retry_after).encode())],
                     per_minute=self.per_minute, retry_after=retry_after)


def install(app: Any, *, max_body_bytes: int, rate_limit_per_minute: int,
            registry: CollectorRegistry | None = None) -> None:
    """Add both limits to a Starlette/FastAPI app: the rate limit outermost, so a client over its limit is
    answered before any of its body is read."""
    refused = Counter("intake_requests_refused", "Requests refused by a limit, by reason.", ["reason"],
                      registry=registry) if registry is not None else None

    def count(reason: str) -> Callable[[], None]:
        return (lambda: refused.labels(reason).inc()) if refused is not None else (lambda: None)

    app.add_middleware(BodySizeLimit, max_body_bytes=max_body_bytes, on_refused=count("payload_too_large"))
    app.add_middleware(SubmissionRateLimit, per_minute=rate_limit_per_minute, on_refused=count("rate_limited"))
