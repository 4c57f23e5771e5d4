"""intake's door against the running system: a submission sent twice (a retry after a lost answer, a double
click on the form) makes one application, one decision and one email; a key used for another application is
refused; past a cap per recipient address, the door says no, naming `contact.email`; the console's sign-in
throttle holds when the guesses come all at once; a partner's reason, which reaches the applicant's email, is
bounded at the bridge."""

from __future__ import annotations

import asyncio
import copy
import re
import uuid

import httpx
import pytest

from infra import samples
from tests.e2e.test_api_edges import another_intake, as_client
from tests.e2e.test_partner_bridge import jaif, offered_to_jaif, pending_for, replies_to
from tests.support.report import report
from tests.support.staff import create_account, sign_in

PER_ADDRESS = 2  # APPLICATIONS_PER_ADDRESS_PER_DAY of the capped intake below
PER_DOMAIN = 3  # APPLICATIONS_PER_DOMAIN_PER_DAY of the capped intake below


def application(sample: samples.Sample = samples.MOSELLE_RE, email: str | None = None) -> dict:
    """A sample's application from an address no other test uses."""
    body = copy.deepcopy(sample.body)
    body["contact"]["email"] = email or f"door-{uuid.uuid4().hex[:10]}@moselle-re.example"
    return body


def emails_to(system, address: str) -> list:
    return [message for message in system.mailbox() if address in str(message["To"])]


async def post(intake: str, body: dict, key: str | bytes | None = None, client: str | None = None
               ) -> httpx.Response:
    headers = {**({"Idempotency-Key": key} if key is not None else {}), **(as_client(client) if client else {})}
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(f"{intake}/v1/applications", json=body, headers=headers)


# -- idempotent submission ------------------------------------------------------------------------------------


async def test_the_same_key_sent_twice_makes_one_application_one_decision_and_one_email(system):
    # Given an application and the key its client chose
    stored_before, published_before = await system.counts()
    body, key = application(), str(uuid.uuid4())

    # When it is sent, and sent again (the first answer was lost), and once more at the same time as another copy
    first = await post(system.intake, body, key)
    again = await post(system.intake, body, key)
    crossing = await asyncio.gather(*(post(system.intake, body, key) for _ in range(2)))

    # Then every answer is the first one: the same application and status link
    assert first.status_code == 202, first.text
    for answer in (again, *crossing):
        assert answer.status_code == 202, answer.text
        assert answer.json() == first.json()
    # And one application was stored and announced
    assert await system.counts() == (stored_before + 1, published_before + 1)
    # And it is decided once, and its applicant gets one email
    status = await system.wait_until(first.json()["status_url"], lambda s: "decision" in s)
    await system.wait_for_emails(first.json()["application_id"])
    await asyncio.sleep(2)  # time for a second email, were there one
    assert len(emails_to(system, body["contact"]["email"])) == 1
    assert [e["event"] for e in status["timeline"]].count("lu.aif.routing.decision-made") == 1


async def test_the_same_key_with_another_application_is_refused_naming_the_header(system):
    # Given an application taken in under a key
    key = str(uuid.uuid4())
    first = await post(system.intake, application(), key)
    assert first.status_code == 202, first.text
    stored_before, published_before = await system.counts()

    # When another application comes under the same key
    other = await post(system.intake, application(samples.ODYSSEA_NLP), key)

    # Then it is refused with 409, naming the header, and nothing of it is stored or published
    assert other.status_code == 409, other.text
    assert other.json()["error"] == "idempotency_key_reused"
    assert other.json()["message"].startswith("Idempotency-Key: ")
    assert [e["field"] for e in other.json()["errors"]] == ["Idempotency-Key"]
    assert await system.counts() == (stored_before, published_before)


async def test_a_key_is_the_clients_own(system):
    # Given an application sent by one client under a key
    body, key = application(), str(uuid.uuid4())
    mine = await post(system.intake, body, key, client="198.51.100.20")
    # When another client sends the same under the same key
    theirs = await post(system.intake, body, key, client="198.51.100.21")
    # Then it does not read the first client's answer: it is another application
    assert mine.status_code == theirs.status_code == 202, theirs.text
    assert theirs.json()["application_id"] != mine.json()["application_id"]
    assert theirs.json()["status_url"] != mine.json()["status_url"]


@pytest.mark.parametrize("key", ["", "x" * 256, "a key with spaces", "clé-accentuée".encode()])
async def test_an_invalid_key_is_refused_naming_the_header(system, key):
    stored_before, published_before = await system.counts()
    refused = await post(system.intake, application(), key)
    assert refused.status_code == 422, refused.text
    assert refused.json()["message"].startswith("Idempotency-Key: ")
    assert [e["field"] for e in refused.json()["errors"]] == ["Idempotency-Key"]
    assert await system.counts() == (stored_before, published_before)


def form_data(body: dict, token: str) -> dict:
    return {"company.name": body["company"]["name"], "company.country": body["company"]["country"],
            "company.size": body["company"]["size"], "contact.name": body["contact"]["name"],
            "contact.email": body["contact"]["email"], "contact.language": body["contact"]["language"],
            "project.title": body["project"]["title"], "project.summary": body["project"]["summary"],
            "project.declared_sectors": body["project"]["declared_sectors"],
            "project.data_readiness": body["project"]["data_readiness"], "project.stage": body["project"]["stage"],
            "consent.share_with_partner_factories": "yes", "submission_token": token}


async def test_a_form_sent_twice_is_one_application_with_one_confirmation(system):
    # Given the application form, as a browser gets it
    stored_before, published_before = await system.counts()
    async with httpx.AsyncClient(base_url=system.intake, timeout=10) as browser:
        page = await browser.get("/apply")
        token = re.search(r'name="submission_token" value="([^"]+)"', page.text).group(1)
        data = form_data(application(), token)
        # When it is sent twice (a double click), and once more later (a reload of the post)
        sent = await asyncio.gather(*(browser.post("/apply", data=data) for _ in range(2)))
        reloaded = await browser.post("/apply", data=data)
        # Then every answer leads to the same confirmation, which shows it was received
        assert [answer.status_code for answer in (*sent, reloaded)] == [303] * 3
        assert len({answer.headers["location"] for answer in (*sent, reloaded)}) == 1
        confirmation = await browser.get(reloaded.headers["location"])
        # When the same form comes back with another title (sent, then changed through the Back button)
        changed = await browser.post("/apply", data={**data, "project.title": "Another project altogether"})
    assert confirmation.status_code == 200 and "Application received" in confirmation.text
    # Then that one is refused, saying the form was sent already
    assert changed.status_code == 409 and "This form was sent already" in changed.text
    # And one application was stored and announced
    assert await system.counts() == (stored_before + 1, published_before + 1)


# -- caps per recipient ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capped_intake(system, tmp_path_factory):
    with another_intake(system, tmp_path_factory.mktemp("capped-intake"), RATE_LIMIT_PER_MINUTE="0",
                        APPLICATIONS_PER_ADDRESS_PER_DAY=str(PER_ADDRESS),
                        APPLICATIONS_PER_DOMAIN_PER_DAY=str(PER_DOMAIN)) as url:
        yield url


async def test_past_the_cap_per_address_the_door_refuses_naming_contact_email(system, capped_intake):
    # Given as many applications for one address as the cap allows, each from another client, all taken in
    address = f"door-cap-{uuid.uuid4().hex[:8]}@cap-{uuid.uuid4().hex[:6]}.example"
    for n in range(PER_ADDRESS):
        accepted = await post(capped_intake, application(email=address), client=f"198.51.100.{30 + n}")
        assert accepted.status_code == 202, accepted.text
    stored_before, published_before = await system.counts()

    # When one more comes for that address (tagged and in capitals: the same mailbox), from yet another client, and
    # one through the form
    name, _, domain = address.partition("@")
    refused = await post(capped_intake, application(email=f"{name.upper()}+again@{domain}"), client="198.51.100.40")
    async with httpx.AsyncClient(base_url=capped_intake, timeout=10) as browser:
        page = await browser.get("/apply")
        token = re.search(r'name="submission_token" value="([^"]+)"', page.text).group(1)
        by_form = await browser.post("/apply", data=form_data(application(email=address), token))

    # Then both are refused with 429, naming contact.email, and nothing is stored or sent
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "too_many_for_recipient"
    assert refused.json()["message"].startswith("contact.email: ")
    assert [e["field"] for e in refused.json()["errors"]] == ["contact.email"]
    assert int(refused.headers["retry-after"]) >= 1
    assert by_form.status_code == 429 and "Too many applications were sent for this email address" in by_form.text
    assert await system.counts() == (stored_before, published_before)


async def test_past_the_cap_per_domain_the_door_refuses(system, capped_intake):
    # Given as many applications for addresses of one domain as its cap allows
    domain = f"cap-{uuid.uuid4().hex[:8]}.example"
    for n in range(PER_DOMAIN):
        accepted = await post(capped_intake, application(email=f"person-{n}@{domain}"))
        assert accepted.status_code == 202, accepted.text
    # When one more comes for another address of that domain
    refused = await post(capped_intake, application(email=f"someone-else@{domain}"))
    # Then it is refused, naming the field and the domain
    assert refused.status_code == 429, refused.text
    assert refused.json()["message"].startswith(f"contact.email: too many applications for email addresses at "
                                                f"{domain}")


# -- the console's sign-in throttle ---------------------------------------------------------------------------


async def test_parallel_wrong_passwords_meet_the_same_throttle_as_one_by_one(system):
    # Given Jules Hoffmann, an admin, and someone sending 40 guesses of his password at once, each with its own
    # sign-in form (as 40 browsers would)
    admin = create_account(system, "admin", "Jules Hoffmann")

    async def guess(n: int) -> httpx.Response:
        async with httpx.AsyncClient(base_url=system.intake, timeout=60) as browser:
            return await sign_in(browser, admin, password=f"parallel-guess-{n}-of-forty")

    answers = await asyncio.gather(*(guess(n) for n in range(40)))

    # Then at most five were checked and refused as wrong (the limit a minute for one account), and every other
    # was refused at once with 429, saying when to try again
    statuses = [answer.status_code for answer in answers]
    report(f"sign-in, 40 wrong passwords at once for one account: {statuses.count(401)} checked (401), "
           f"{statuses.count(429)} refused before any check (429)")
    assert set(statuses) <= {401, 429}, statuses
    assert 1 <= statuses.count(401) <= 5, statuses
    assert statuses.count(429) >= 35, statuses
    assert all(int(answer.headers["retry-after"]) >= 1 for answer in answers if answer.status_code == 429)
    # And the right password, right after, is refused too, and opens no session
    async with httpx.AsyncClient(base_url=system.intake, timeout=10) as browser:
        right = await sign_in(browser, admin)
        assert right.status_code == 429, right.text
        assert "Too many failed sign-ins for this account or from this address" in right.text
        assert (await browser.get("/console")).status_code == 303


# -- a partner's reason, which reaches the applicant's email ---------------------------------------------------


async def test_a_partners_reason_over_500_characters_is_refused_naming_it_and_changes_nothing(system):
    # Given an offer to jaif, which answers over the bridge
    offer, _ = await offered_to_jaif(system, "Dr. Lena Vogt")
    replies = "/v1/partners/jaif/replies"

    # When jaif declines it with a reason of 501 characters
    refused = await jaif(system).send("POST", replies, {"offer_id": offer.data.offer_id, "answer": "decline",
                                                         "reason": "x" * 501})

    # Then it is refused, naming the field, and nothing changed: the offer still waits, no reply went out
    assert refused.status_code == 422, refused.text
    assert [error["field"] for error in refused.json()["errors"]] == ["reason"]
    assert "at most 500 characters" in refused.json()["message"]
    assert await pending_for(jaif(system), offer.data.application_id)
    assert await replies_to(system, offer.data.offer_id) == []

    # And a reason of 500 characters is taken
    taken = await jaif(system).send("POST", replies, {"offer_id": offer.data.offer_id, "answer": "decline",
                                                       "reason": "y" * 500})
    assert taken.status_code == 202, taken.text
