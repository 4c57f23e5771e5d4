"""The edges of intake's public API, over real HTTP against the running system: whatever a client sends, the
answer is never a server error and every refusal says why; a body over the size limit and a client over the
rate limit are refused with 413 and 429, and nothing of theirs is stored or published.

Requests that would use up the session intake's rate limit (60 a minute from 127.0.0.1, shared with the other
e2e tests) go to a second intake process of their own: same broker and database, its own settings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from infra import samples
from infra.localnet import free_port
from infra.stack import Stack

LIMIT = 64 * 1024  # MAX_BODY_BYTES: the default, which the session's intake runs with
SUBMISSIONS_PER_MINUTE = 3  # RATE_LIMIT_PER_MINUTE of the rate-limited intake below
STAFF_TOKEN = "generated-requests-staff-token"  # STAFF_API_TOKEN of the unlimited intake: dry runs answer too


@contextmanager
def another_intake(system, var_dir: Path, **settings_env: str) -> Iterator[str]:
    """A second intake process next to the session's: same broker, database and consumer groups, its own port,
    var directory (logs, pidfile) and settings. Yields its base URL."""
    stack = Stack(var_dir, system.bootstrap, {"intake": free_port()}, smtp_port=system.stack.smtp_port,
                  env={**system.stack.env, **settings_env})
    stack.start_service("intake")
    try:
        stack.wait_healthy(("intake",), timeout=90)
        yield stack.url("intake")
    finally:
        stack.stop("intake")


@pytest.fixture(scope="module")
def unlimited_intake(system, tmp_path_factory):
    with another_intake(system, tmp_path_factory.mktemp("unlimited-intake"), RATE_LIMIT_PER_MINUTE="0",
                        STAFF_API_TOKEN=STAFF_TOKEN) as url:
        yield url


@pytest.fixture(scope="module")
def limited_intake(system, tmp_path_factory):
    with another_intake(system, tmp_path_factory.mktemp("limited-intake"),
                        RATE_LIMIT_PER_MINUTE=str(SUBMISSIONS_PER_MINUTE)) as url:
        yield url


def as_client(address: str) -> dict[str, str]:
    """Requests from `address`: the tests run on 127.0.0.1, which uvicorn trusts as a proxy (its default
    FORWARDED_ALLOW_IPS), so it takes the client address from X-Forwarded-For, as behind a reverse proxy."""
    return {"x-forwarded-for": address}


# -- whatever a client sends ----------------------------------------------------------------------------------


def refusals_are_explained(_ctx, response, case) -> None:
    """Every 4xx is JSON in intake's error shape: a code and a message."""
    if 400 <= response.status_code < 500:
        try:
            body = response.json()
        except ValueError:
            raise AssertionError(f"{response.status_code} is not JSON: {response.text[:200]!r}") from None
        assert isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("message"), str), (
            f"{response.status_code} without error and message: {response.text[:300]}")


def test_generated_requests_get_no_server_error_and_every_refusal_says_why(system, unlimited_intake):
    # Given intake's own OpenAPI document
    schema = schemathesis.openapi.from_url(system.intake + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /v1/applications", "GET /v1/applications/{application_id}"}

    # When Schemathesis sends each operation requests that fit it and requests that do not
    # (to an intake without rate limit: 429 is documented, but would cut the run short)
    for operation in operations:
        takes_input = bool(operation.body) or any(True for _ in operation.iter_parameters())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes_input else (GenerationMode.POSITIVE,):
            @settings(max_examples=30, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def exchange(case):
                response = case.call(base_url=unlimited_intake, timeout=10,
                                     headers={"authorization": f"Bearer {STAFF_TOKEN}"})
                # Then no answer is a server error, and every 4xx is JSON with an error and a message
                case.validate_response(response, checks=[not_a_server_error, refusals_are_explained])

            exchange()


# -- the size limit -------------------------------------------------------------------------------------------


def padded(body: dict, size: int) -> bytes:
    """The application as JSON, followed by spaces up to `size` bytes: valid JSON of exactly that size."""
    text = json.dumps(body).encode()
    return text + b" " * (size - len(text))


async def test_a_body_over_the_limit_gets_413_naming_it_and_nothing_is_stored_or_published(system):
    # Given the counts of stored applications and submitted events
    stored_before, published_before = await system.counts()

    # When a valid application is sent with a body one byte over the limit (Content-Length says so)
    response = await system.submit(padded(samples.MOSELLE_RE.body, LIMIT + 1))

    # Then 413 names the limit, in intake's error shape
    assert response.status_code == 413, response.text
    assert response.json() == {"error": "payload_too_large", "errors": [],
                               "message": "The request body is larger than the limit of 65536 bytes (64 KiB)."}
    # And nothing was stored or published
    assert await system.counts() == (stored_before, published_before)


async def test_a_body_of_exactly_the_limit_is_accepted(system):
    # When a valid application is sent with a body of exactly the limit
    response = await system.submit(padded(samples.PETIT_FOUR.body, LIMIT))

    # Then it is accepted
    assert response.status_code == 202, response.text


async def test_a_streamed_body_growing_past_the_limit_is_refused_before_it_ends(system):
    # Given the counts of stored applications and submitted events
    stored_before, published_before = await system.counts()

    # When a client streams a chunked body, announcing no length, past the limit and does not end it
    address = urlsplit(system.intake)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(f"POST /v1/applications HTTP/1.1\r\nHost: {address.netloc}\r\n"
                     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b" " * 16 * 1024
        for _ in range(LIMIT // len(chunk) + 1):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()

        # Then intake answers 413 at once, without waiting for the rest of the body
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        assert head.startswith(b"HTTP/1.1 413 "), head
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        answer = json.loads(await asyncio.wait_for(reader.readexactly(length), timeout=10))
    finally:
        writer.close()
    assert answer["error"] == "payload_too_large" and "65536 bytes" in answer["message"]
    # And nothing was stored or published
    assert await system.counts() == (stored_before, published_before)


# -- the rate limit -------------------------------------------------------------------------------------------


async def submit(intake: str, body: dict, address: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(f"{intake}/v1/applications", json=body, headers=as_client(address))


async def test_a_client_over_the_rate_limit_gets_429_with_retry_after_and_nothing_is_stored(system, limited_intake):
    # Given a client that submitted as many applications as the burst allows, all accepted
    stored_before, published_before = await system.counts()
    client = "198.51.100.1"
    for sample in samples.ALL[:SUBMISSIONS_PER_MINUTE]:
        accepted = await submit(limited_intake, sample.body, client)
        assert accepted.status_code == 202, accepted.text

    # When it submits one more at once
    refused = await submit(limited_intake, samples.PETIT_FOUR.body, client)

    # Then 429 names the limit and says when to come back (a token comes back every 20 s at 3 a minute)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "rate_limited" and refused.json()["errors"] == []
    assert f"the limit is {SUBMISSIONS_PER_MINUTE} per minute" in refused.json()["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60 // SUBMISSIONS_PER_MINUTE
    assert f"Try again in {refused.headers['retry-after']} s" in refused.json()["message"]
    # And nothing was stored or published for it: only the accepted ones were
    burst = SUBMISSIONS_PER_MINUTE
    assert await system.counts() == (stored_before + burst, published_before + burst)


async def test_the_rate_limit_is_per_client_address(limited_intake):
    # Given a client that used up its submissions (refused ones count too)
    for _ in range(SUBMISSIONS_PER_MINUTE):
        await submit(limited_intake, {}, "198.51.100.2")
    assert (await submit(limited_intake, {}, "198.51.100.2")).status_code == 429

    # When another client submits
    other = await submit(limited_intake, samples.MOSELLE_RE.body, "198.51.100.3")

    # Then it is accepted
    assert other.status_code == 202, other.text


async def test_the_status_link_and_operations_endpoints_are_not_rate_limited(system, limited_intake):
    # Given an application, and a client that used up its submissions on the rate-limited intake
    response = await system.submit(samples.ODYSSEA_NLP.body)
    status_path = urlsplit(response.json()["status_url"])
    client = "198.51.100.4"
    for _ in range(SUBMISSIONS_PER_MINUTE):
        await submit(limited_intake, {}, client)
    assert (await submit(limited_intake, {}, client)).status_code == 429

    # When that client follows the status link, and asks for health and metrics, many times over
    async with httpx.AsyncClient(timeout=10, headers=as_client(client)) as http:
        answers = [await http.get(f"{limited_intake}{path}")
                   for _ in range(4 * SUBMISSIONS_PER_MINUTE)
                   for path in (f"{status_path.path}?{status_path.query}", "/healthz", "/metrics")]

    # Then every answer is a 200
    assert [answer.status_code for answer in answers] == [200] * len(answers)


async def test_the_openapi_document_declares_413_and_429(system):
    async with httpx.AsyncClient(timeout=5) as client:
        openapi = (await client.get(system.intake + "/openapi.json")).json()
    responses = openapi["paths"]["/v1/applications"]["post"]["responses"]
    assert {"202", "413", "422", "429"} <= set(responses)
    assert "Retry-After" in responses["429"]["headers"]
    assert responses["413"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}

