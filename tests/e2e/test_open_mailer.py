"""The public form is no open mailer: whoever fills it in names any address as the contact, so the first email to
an address carries none of their words but the name, every email carries a link that stops them all, and an
address that used it gets nothing more."""

from __future__ import annotations

import asyncio
import copy
import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from infra.samples import MOSELLE_RE
from services.runtime.db import async_url

LURE = "Claim your prize at prize-desk.example now"


def application(address: str, title: str) -> dict:
    body = copy.deepcopy(MOSELLE_RE.body)
    body["contact"].update(email=address, language="en")
    body["project"]["title"] = title
    return body


async def held_reasons(system, application_id: str) -> list[str]:
    """Why notify did not send its emails about this application, as its own table keeps it."""
    engine = create_async_engine(async_url(system.stack.service_env("notify")["DATABASE_URL"]))
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT held FROM notice WHERE application_id = :id AND held IS NOT "
                                                 "NULL"), {"id": application_id})
            return [row.held for row in rows]
    finally:
        await engine.dispose()


async def test_a_stranger_cannot_make_us_write_their_words_and_the_address_can_stop_us(system):
    # Given someone who names a stranger's address as the contact, with a lure as the project's title
    address = f"stranger-{uuid.uuid4().hex[:8]}@inbox.example"
    first = (await system.submit(application(address, LURE))).json()
    await system.wait_until(first["status_url"], lambda status: "decision" in status)
    [email] = await system.wait_for_emails(first["application_id"])

    # Then the stranger's first email from us greets the name given, and carries no word of the title
    body = email.get_content()
    assert body.startswith("Dear Anne Weber,")
    assert "prize" not in email["Subject"] and "prize" not in body
    # And it says how to stop every email, in the body and as one-click List-Unsubscribe (RFC 8058)
    stop_url = email["List-Unsubscribe"].strip("<>")
    assert stop_url in body and email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # When the stranger's mail client asks to stop, as RFC 8058 has it
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.get(stop_url)).status_code == 200  # a link scanner's visit stops nothing
        stopped = await client.post(stop_url, data={"List-Unsubscribe": "One-Click"})
        path, _, query = stop_url.partition("?")
        forged = await client.post(f"{path[:-4]}0000?{query}")
    assert stopped.status_code == 200 and "no more emails" in stopped.text
    assert forged.status_code == 404  # a link we did not make stops nothing, and is not kept

    # And the same address is given again, by anyone
    again = (await system.submit(application(address.upper(), "A second try"))).json()
    decided = await system.wait_until(again["status_url"], lambda status: "decision" in status)

    # Then the application is decided as any other, but no email reaches the address
    assert decided["decision"]["outcome"]
    deadline = asyncio.get_running_loop().time() + 30
    while not await held_reasons(system, again["application_id"]):
        assert asyncio.get_running_loop().time() < deadline, "notify never took the decision"
        await asyncio.sleep(0.2)
    assert await held_reasons(system, again["application_id"]) == ["stopped"]
    assert system.emails_to(again["application_id"]) == []
