"""Staff of the running system: accounts made with the accounts CLI, as an admin makes them, and signing in to
the console over HTTP (httpx) or in the browser (Playwright)."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    role: str
    password: str


def create_account(system, role: str, name: str) -> Account:
    """A new account on intake's database, made by `python -m services.intake.console.staff create`. The username is
    unique in the test session (the system is shared by every test)."""
    username = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:8]}"
    account = Account(username, name, role, f"{uuid.uuid4().hex[:6]}-long-enough-password")
    done = subprocess.run(
        [sys.executable, "-m", "services.intake.console.staff", "create", "--username", username, "--name", name,
         "--role", role, "--password-stdin"],
        input=account.password + "\n", env=system.stack.service_env("intake"), cwd=ROOT, capture_output=True,
        text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return account


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF.search(html)
    assert found, "no form with a CSRF token on the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, account: Account, password: str | None = None) -> httpx.Response:
    """Fill in and send the sign-in form as a browser would (its cookie, its CSRF token)."""
    form = await client.get("/console/sign-in")
    return await client.post("/console/sign-in", data={
        "username": account.username, "password": account.password if password is None else password,
        "csrf_token": csrf_token(form.text)})


@asynccontextmanager
async def signed_in_client(base_url: str, account: Account) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client with `account`'s console session."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        response = await sign_in(client, account)
        assert response.status_code == 303, response.text
        yield client


def sign_in_in_browser(page, account: Account) -> None:
    """On the sign-in page: fill in the form and send it."""
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
