"""Who may do what in the staff console, over HTTP against the running system: a viewer sees but cannot
override, a form without its session's CSRF token changes nothing, a session ends when its time is up, and a
wrong password is told apart from an unknown user by no one but the log."""

from __future__ import annotations

import asyncio
import re

import httpx

from contracts import topics
from infra import samples
from tests.support.kafka import records_about
from tests.support.staff import Account, create_account, csrf_token, sign_in, signed_in_client

OVERRIDE = {"outcome": "accept_local", "factory": "", "reason": "Petit Four has two years of till receipts."}


async def decided_application(system) -> tuple[str, str]:
    """Petit Four's application (sent to staff review), once decided: its id and status link."""
    response = await system.submit(samples.PETIT_FOUR.body)
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    await system.wait_until(status_url, lambda status: "decision" in status)
    return application_id, status_url


async def on_topic(system, topic: topics.Topic, application_id: str) -> list:
    return await records_about(system.bootstrap, topic.name, application_id)


async def nothing_sent_about(system, application_id: str, decisions_before: int) -> None:
    """Intake's outbox is empty (whatever a request staged is published), and no override or new decision about
    the application is on its topic."""
    await system.counts()
    assert await on_topic(system, topics.OVERRIDE_REQUESTED, application_id) == []
    assert len(await on_topic(system, topics.DECISION_MADE, application_id)) == decisions_before


async def test_a_viewer_sees_an_application_but_cannot_override_it(system):
    # Given Petit Four's application, decided, and Victor Lang, a viewer, signed in
    application_id, status_url = await decided_application(system)
    decisions_before = len(await on_topic(system, topics.DECISION_MADE, application_id))
    viewer = create_account(system, "viewer", "Victor Lang")
    async with signed_in_client(system.intake, viewer) as victor:
        # When he opens the application
        page = await victor.get(f"/console/applications/{application_id}")
        # Then he reads it, with no override form
        assert page.status_code == 200
        assert "Something with AI for our shop" in page.text
        assert "Override the decision" not in page.text

        # When he posts an override anyway, with his session's CSRF token
        refused = await victor.post(f"/console/applications/{application_id}/override",
                                    data={**OVERRIDE, "csrf_token": csrf_token(page.text)})

    # Then he is refused, and told why
    assert refused.status_code == 403
    assert "You may not change decisions" in refused.text
    assert "Your account (viewer) may see applications but not override their decisions" in refused.text
    # And nothing was sent: no override, no new decision, nothing in the timeline
    await nothing_sent_about(system, application_id, decisions_before)
    status = await system.status(status_url)
    assert not any("Override" in entry["summary"] for entry in status["timeline"])


async def test_a_form_without_the_sessions_csrf_token_is_refused(system):
    # Given Petit Four's application, decided, and Tom Becker, a triager, signed in
    application_id, _ = await decided_application(system)
    decisions_before = len(await on_topic(system, topics.DECISION_MADE, application_id))
    triager = create_account(system, "triager", "Tom Becker")
    other = create_account(system, "triager", "Nina Faber")
    async with signed_in_client(system.intake, triager) as tom, \
            signed_in_client(system.intake, other) as nina:
        nina_page = await nina.get(f"/console/applications/{application_id}")
        override = f"/console/applications/{application_id}/override"

        # When an override comes without a token, with a made-up one, or with another session's token
        without = await tom.post(override, data=OVERRIDE)
        made_up = await tom.post(override, data={**OVERRIDE, "csrf_token": "0" * 64})
        borrowed = await tom.post(override, data={**OVERRIDE, "csrf_token": csrf_token(nina_page.text)})
        # And a sign-out without one
        sign_out = await tom.post("/console/sign-out")

        # Then each is refused with a page that says why
        for refused in (without, made_up, borrowed, sign_out):
            assert refused.status_code == 403
            assert "did not carry the security token of your session, so nothing was done" in refused.text
        # And Tom is still signed in
        assert (await tom.get("/console")).status_code == 200

    # And nothing was sent
    await nothing_sent_about(system, application_id, decisions_before)


async def test_a_session_ends_when_its_time_is_up_and_sign_in_brings_you_back(system):
    # Given an intake whose sessions last six seconds (STAFF_SESSION_MINUTES=0.1), on the same database
    name = system.stack.start_service("intake", instance="intake-short-sessions",
                                      extra_env={"STAFF_SESSION_MINUTES": "0.1"})
    try:
        system.stack.wait_healthy((name,), timeout=60)
        short_lived = system.stack.url(name)
        application_id, _ = await decided_application(system)
        page = f"/console/applications/{application_id}"
        triager = create_account(system, "triager", "Lea Schmit")
        async with signed_in_client(short_lived, triager) as lea:
            # When Lea opens an application at once
            # Then she reads it
            assert (await lea.get(page)).status_code == 200

            # When she comes back after her session has ended
            await asyncio.sleep(6.5)
            expired = await lea.get(page)

            # Then she is sent to sign in, told why, with the page she wanted to come back to
            assert expired.status_code == 303
            assert expired.headers["location"] == \
                f"/console/sign-in?reason=expired&next=%2Fconsole%2Fapplications%2F{application_id}"
            sign_in_page = await lea.get(expired.headers["location"])
            assert "Your session has expired. Sign in again to continue." in sign_in_page.text

            # When she signs in again
            back = await lea.post("/console/sign-in", data={
                "username": triager.username, "password": triager.password, "next": page,
                "csrf_token": csrf_token(sign_in_page.text)})
            # Then she is back on the application
            assert (back.status_code, back.headers["location"]) == (303, page)
            assert (await lea.get(page)).status_code == 200
    finally:
        system.stack.stop(name)


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(system):
    # Given Marc Weis, an admin
    admin = create_account(system, "admin", "Marc Weis")
    unknown = Account(f"nobody-{admin.username}", "Nobody", "admin", admin.password)
    async with httpx.AsyncClient(base_url=system.intake, timeout=10) as browser:
        # When he types a wrong password, and someone tries a username that does not exist
        wrong = await sign_in(browser, admin, password="not-marcs-password-at-all")
        nobody = await sign_in(browser, unknown)

        # Then both are refused with the same status and the same words, and no session is opened
        assert wrong.status_code == nobody.status_code == 401
        for refused in (wrong, nobody):
            assert "The username or password is not right." in refused.text
            assert "aif_staff_session" not in refused.headers.get("set-cookie", "")
        assert (await browser.get("/console")).status_code == 303

        # And with the right password he is in
        assert (await sign_in(browser, admin)).status_code == 303
        assert "Marc Weis" in (await browser.get("/console")).text

    # And the log names both failures, and neither password
    log = (system.stack.var_dir / "log" / "intake.log").read_text()
    assert re.search(rf"staff sign-in failed for username '{admin.username}' .*: wrong password", log)
    assert re.search(rf"staff sign-in failed for username 'nobody-{admin.username}' .*: unknown username", log)
    assert "not-marcs-password-at-all" not in log and admin.password not in log


async def test_password_guessing_is_stopped_after_five_failures_on_one_account(system):
    # Given Lea Muller, an admin, and someone guessing her password
    admin = create_account(system, "admin", "Lea Muller")
    async with httpx.AsyncClient(base_url=system.intake, timeout=10) as browser:
        guesses = [await sign_in(browser, admin, password=f"guess-number-{n}-of-many") for n in range(5)]
        # When a sixth attempt comes within the minute, even with the right password
        sixth = await sign_in(browser, admin)
    # Then the five guesses were refused as wrong, and the sixth is refused before any password is checked,
    # saying when to try again
    assert [guess.status_code for guess in guesses] == [401] * 5
    assert sixth.status_code == 429 and int(sixth.headers["retry-after"]) >= 1
    assert "Too many failed sign-ins for this account or from this address" in sixth.text
    assert "aif_staff_session" not in sixth.headers.get("set-cookie", "")
    log = (system.stack.var_dir / "log" / "intake.log").read_text()
    assert re.search(rf"console sign-in refused for '{admin.username}' from .*: too many failed attempts", log)


async def test_an_override_form_sent_twice_is_one_override(system):
    # Given Petit Four's application, decided, and Rosa Kieffer, a triager, with its page open
    application_id, status_url = await decided_application(system)
    triager = create_account(system, "triager", "Rosa Kieffer")
    async with signed_in_client(system.intake, triager) as rosa:
        page = await rosa.get(f"/console/applications/{application_id}")
        form_id = re.search(r'name="override_id" value="([^"]+)"', page.text).group(1)
        form = {"outcome": "review", "reason": "Rosa will call the bakery first.",
                "csrf_token": csrf_token(page.text), "override_id": form_id}
        # When she sends the form twice (a double click), and the two requests cross
        sent = await asyncio.gather(*(rosa.post(f"/console/applications/{application_id}/override", data=form)
                                      for _ in range(2)))
    # Then both answers say it was sent, and one override went to routing and came back as one decision
    assert [response.status_code for response in sent] == [303, 303]
    await system.wait_until(status_url, lambda s: (s.get("decision") or {}).get("decided_by") == "Rosa Kieffer")
    await asyncio.sleep(2)  # time for a second command, were there one, to be carried out
    assert len(await on_topic(system, topics.OVERRIDE_REQUESTED, application_id)) == 1
    status = await system.status(status_url)
    assert [e["summary"] for e in status["timeline"]].count("Decision by Rosa Kieffer: review") == 1
