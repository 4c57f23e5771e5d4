"""A partner factory without Kafka uses the HTTP bridge: it fetches the offers made to it, answers them and refers
projects to Luxembourg over HTTP, with the identity rules of the topics: every request signed with its own private key,
for itself, recently, and once. A refused request is logged and changes nothing."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import httpx
import pytest

from contracts import reference, signing, topics
from contracts.envelope import Envelope
from contracts.events import ReferralOffered, ReferralReplied
from services.intake.partners.incoming import application_id_of
from tests.e2e.test_partner_identity import incoming
from tests.support.partners import consenting_rhein_radiologie, credentials, referral_steps, wait_for
from tests.support.kafka import read_topic

WINDOW = 300  # BRIDGE_REPLAY_WINDOW_SECONDS: the default, which the session's intake runs with


class Clock:
    """Unix seconds, a later one for every request: two requests alike to the second would be one signed request,
    and the second one a replay."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self) -> int:
        self.last = max(int(time.time()), self.last + 1)
        return self.last


clock = Clock()


@dataclass
class BridgeClient:
    """A partner factory without Kafka: every request signed as `signing.http_headers` says, with the partner's
    own key (or, for a forger, with `key_of`'s)."""

    system: object
    factory_id: str
    key_of: str | None = None

    def headers(self, method: str, path: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        key = credentials(self.system).signing_key(self.key_of or self.factory_id)
        return signing.http_headers(self.factory_id, key, method, path, body,
                                    clock() if timestamp is None else timestamp)

    async def send(self, method: str, path: str, payload: dict | None = None, *,
                   headers: dict[str, str] | None = None) -> httpx.Response:
        """`payload` as JSON, signed unless `headers` are given."""
        body = json.dumps(payload).encode() if payload is not None else b""
        async with httpx.AsyncClient(base_url=self.system.intake, timeout=15) as client:
            signed = self.headers(method, path, body) if headers is None else headers
            return await client.request(method, path, content=body,
                                        headers={"content-type": "application/json", **signed})

    async def offers(self, of: str | None = None) -> list[Envelope[ReferralOffered]]:
        response = await self.send("GET", f"/v1/partners/{of or self.factory_id}/offers")
        assert response.status_code == 200, response.text
        return [Envelope[ReferralOffered].model_validate(offer) for offer in response.json()["offers"]]

    async def reply(self, offer_id: str, answer: str, of: str | None = None) -> httpx.Response:
        return await self.send("POST", f"/v1/partners/{of or self.factory_id}/replies",
                               {"offer_id": offer_id, "answer": answer})


def jaif(system) -> BridgeClient:
    return BridgeClient(system, "jaif")


async def offered_to_jaif(system, person: str) -> tuple[Envelope[ReferralOffered], str]:
    """A new consenting health application from `person`, once the bridge lists its offer to jaif; with its
    status link."""
    response = await system.submit(consenting_rhein_radiologie(person))
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    listed = await wait_for(lambda: pending_for(jaif(system), application_id), lambda found: len(found) == 1)
    return listed[0], status_url


async def pending_for(client: BridgeClient, application_id: str) -> list[Envelope[ReferralOffered]]:
    await asyncio.sleep(0.5)  # a partner polls now and then
    return [offer for offer in await client.offers() if offer.data.application_id == application_id]



async def replies_to(system, offer_id: str) -> list:
    """The structured replies to `offer_id` (other tests also put binary-mode records, which readers refuse, on the
    topic)."""
    return [r for r in await read_topic(system.bootstrap, topics.REFERRAL_REPLIES.name)
            if "data" in (event := json.loads(r.value))
            and ReferralReplied.model_validate(event["data"]).offer_id == offer_id]


async def test_a_partner_without_kafka_fetches_its_offer_and_accepts_it_over_http(system):
    # Given a consenting health application, forwarded to the JUPITER AI Factory (jaif)
    # When jaif, which has no Kafka client, asks the bridge for its offers
    offer, status_url = await offered_to_jaif(system, "Dr. Jonas Brandt")

    # Then it gets the offer as it would read it on its own topic, contact included (the applicant consented)
    (on_kafka,) = [Envelope[ReferralOffered].model_validate_json(r.value)
                   for r in await read_topic(system.bootstrap, topics.referrals_to("jaif").name)
                   if r.key == offer.subject.encode()]
    assert offer == on_kafka
    assert offer.data.factory_id == "jaif" and offer.data.contact and offer.data.contact.name == "Dr. Jonas Brandt"

    # When jaif accepts it
    response = await jaif(system).reply(offer.data.offer_id, "accept")

    # Then the bridge took the answer, and the applicant sees the acceptance in their timeline
    assert response.status_code == 202, response.text
    assert response.json()["offer_id"] == offer.data.offer_id
    status = await system.wait_until(status_url, lambda s: any("accepted the referral" in step for step in referral_steps(s)))
    assert f"{reference.load().factory('jaif').name} accepted the referral" in referral_steps(status)[-1]
    # And the answer went out as jaif would have sent it, in jaif's name, but signed with Luxembourg's own key:
    # jaif's private key never leaves jaif, and the bridge relays for it
    (record,) = await replies_to(system, offer.data.offer_id)
    sent = Envelope[ReferralReplied].model_validate_json(record.value)
    assert (sent.id, sent.source, sent.causationid) == (response.json()["event_id"], "/partners/jaif", offer.id)
    luxembourg = signing.load_private_key(credentials(system).factory_signing_key_file).public_key()
    assert signing.verify(luxembourg, record.value, dict(record.headers)[signing.KAFKA_HEADER].decode())
    # And the offer is no longer listed
    assert not await pending_for(jaif(system), offer.data.application_id)


async def test_a_referral_sent_over_the_bridge_becomes_an_application(system):
    # Given a project jaif refers to Luxembourg, without naming itself in the body (the path does)
    sent = incoming("jaif", f"JAIF-HTTP-{time.time_ns()}")
    body = sent.model_dump(mode="json", exclude={"from_factory"})

    # When jaif sends it over the bridge
    response = await jaif(system).send("POST", "/v1/partners/jaif/referrals", body)

    # Then the bridge names the application it becomes
    assert response.status_code == 202, response.text
    assert response.json() == {"referral_id": sent.referral_id, "application_id": application_id_of(sent)}
    # And intake takes it in as an application from jaif
    submitted = await wait_for(lambda: read_topic(system.bootstrap, topics.APPLICATION_SUBMITTED.name),
                               lambda records: any(r.key == application_id_of(sent).encode() for r in records))
    (record,) = [r for r in submitted if r.key == application_id_of(sent).encode()]
    assert Envelope[topics.APPLICATION_SUBMITTED.payload].model_validate_json(record.value).data.channel \
        == "partner:jaif"


async def test_a_referral_in_another_partners_name_is_forbidden(system):
    # Given jaif sending, signed with its own key, a referral that names AI Factory France as the referrer
    sent = incoming("ai2f", f"AI2F-BY-JAIF-{time.time_ns()}")
    response = await jaif(system).send("POST", "/v1/partners/jaif/referrals", sent.model_dump(mode="json"))
    # Then it is refused, naming why, and nothing reaches the incoming topic
    assert response.status_code == 403
    assert response.json()["message"] == "partner jaif may not act for ai2f"
    assert not [r for r in await read_topic(system.bootstrap, topics.REFERRALS_INCOMING.name)
                if r.key == sent.referral_id.encode()]


@pytest.fixture(scope="module")
async def pending_offer(system) -> Envelope[ReferralOffered]:
    """An offer to jaif that the refusals below must leave pending."""
    offer, _ = await offered_to_jaif(system, "Dr. Sofia Marx")
    return offer


# Ways of changing jaif's signed request (headers over `body` sent to `path`) into one that is not jaif's own.
def forged(system, path: str, body: bytes, _headers: dict) -> dict:  # AI Factory France's key, in jaif's name
    return BridgeClient(system, "jaif", key_of="ai2f").headers("POST", path, body)


def stale(system, path: str, body: bytes, _headers: dict) -> dict:  # signed properly, but long ago
    return jaif(system).headers("POST", path, body, timestamp=int(time.time()) - WINDOW - 60)


def as_ai2f(system, path: str, body: bytes, _headers: dict) -> dict:  # AI Factory France, acting on jaif's path
    return BridgeClient(system, "ai2f").headers("POST", path, body)


def unknown(_system, _path: str, _body: bytes, headers: dict) -> dict:
    return {**headers, signing.HTTP_PARTNER: "not-a-factory"}


def unsigned(_system, _path: str, _body: bytes, headers: dict) -> dict:
    return {name: value for name, value in headers.items() if name != signing.HTTP_SIGNATURE}


REFUSED = {  # how the request is changed: the status, the partner the log names, and what the message says
    "bad signature": (forged, 401, "jaif", "signature does not match"),
    "stale timestamp": (stale, 401, "jaif", f"is outside the replay window of {WINDOW} s"),
    "wrong partner": (as_ai2f, 403, "ai2f", "partner ai2f may not act for jaif"),
    "unknown partner": (unknown, 401, "not-a-factory", "unknown partner 'not-a-factory'"),
    "missing header": (unsigned, 401, "jaif", f"missing header {signing.HTTP_SIGNATURE}"),
}


async def logged(system, *parts: str) -> str:
    """The line of intake's log that holds every one of `parts`, once it is written."""
    log = system.stack.var_dir / "log" / "intake.log"
    lines = await wait_for(lambda: asyncio.to_thread(lambda: log.read_text().splitlines()),
                           lambda found: any(all(part in line for part in parts) for line in found), timeout=10)
    return next(line for line in lines if all(part in line for part in parts))


@pytest.mark.parametrize("case", REFUSED)
async def test_a_request_that_is_not_the_partners_own_is_refused_logged_and_changes_nothing(
        system, pending_offer, case):
    # Given an offer that waits for jaif's answer
    change, status, partner, problem = REFUSED[case]
    offer_id = pending_offer.data.offer_id
    path, payload = "/v1/partners/jaif/replies", {"offer_id": offer_id, "answer": "accept"}
    body = json.dumps(payload).encode()
    headers = change(system, path, body, jaif(system).headers("POST", path, body))

    # When jaif's offer is accepted by a request that is not jaif's own, or not signed as jaif signs
    response = await jaif(system).send("POST", path, payload, headers=headers)

    # Then it is refused in intake's error shape, the message naming the problem
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "message", "errors"} and problem in response.json()["message"]
    # And the log says who was refused what, and why
    assert await logged(system, f"partner bridge refused POST '{path}' for partner '{partner}' ({status}): ", problem)
    # And nothing changed: the offer still waits for jaif, which can still fetch it, and no answer went out
    assert offer_id in [o.data.offer_id for o in await jaif(system).offers()]
    assert not await replies_to(system, offer_id)


async def test_an_answer_to_another_partners_offer_is_not_found_for_it(system, pending_offer):
    # When AI Factory France, signing as itself on its own path, answers jaif's offer
    response = await BridgeClient(system, "ai2f").reply(pending_offer.data.offer_id, "decline")
    # Then no such offer was made to it
    assert response.status_code == 404
    assert response.json()["message"] == f"no offer {pending_offer.data.offer_id} was made to ai2f"
    # And jaif's offer still waits for jaif
    assert pending_offer.data.offer_id in [o.data.offer_id for o in await jaif(system).offers()]


async def test_after_those_refusals_jaif_itself_accepts_its_offer(system, pending_offer):
    # When jaif answers its offer with a request of its own
    response = await jaif(system).reply(pending_offer.data.offer_id, "accept")
    # Then the answer is taken, and the offer is no longer listed
    assert response.status_code == 202, response.text
    assert not await pending_for(jaif(system), pending_offer.data.application_id)


async def test_a_replayed_request_is_refused_and_an_answer_is_taken_once(system):
    # Given an offer to jaif, and jaif's signed request for its offers, sent once
    offer, status_url = await offered_to_jaif(system, "Dr. Emil Roth")
    client, path = jaif(system), "/v1/partners/jaif/offers"
    listing = client.headers("GET", path, b"")
    assert (await client.send("GET", path, headers=listing)).status_code == 200

    # When someone who saw it sends the very same request again
    replayed = await client.send("GET", path, headers=listing)

    # Then it is refused as a replay
    assert replayed.status_code == 409 and replayed.json()["message"].startswith("replayed")

    # When jaif accepts the offer, and its accept is replayed
    accept = client.headers("POST", "/v1/partners/jaif/replies",
                            json.dumps({"offer_id": offer.data.offer_id, "answer": "accept"}).encode())
    answers = [await client.send("POST", "/v1/partners/jaif/replies",
                                 {"offer_id": offer.data.offer_id, "answer": "accept"}, headers=accept)
               for _ in range(2)]
    # Then the first is taken and the copy refused as a replay
    assert [a.status_code for a in answers] == [202, 409] and answers[1].json()["message"].startswith("replayed")
    # And a new answer, signed anew, is refused: an answer is final
    again = await client.reply(offer.data.offer_id, "decline")
    assert again.status_code == 409
    assert again.json()["message"] == f"offer {offer.data.offer_id} was answered already (accept): an answer is final"
    # And the partner's answer reached routing once: the applicant sees one acceptance, and one reply went out
    status = await system.wait_until(status_url, lambda s: any("accepted the referral" in step for step in referral_steps(s)))
    assert len([step for step in referral_steps(status) if "accepted the referral" in step]) == 1
    assert len(await replies_to(system, offer.data.offer_id)) == 1
