"""Two factories, two clusters, one exchange: Luxembourg and Pharos (Greece) each run Aiguillage with their own
profile, Kafka cluster, databases and mailbox, and their MirrorMakers carry the offers and the answers between
the clusters (infra/federation.py). What each side's users see is asserted: the applicant's status page and
emails, the staff console of the factory that was offered the project, and the records on both clusters."""

from __future__ import annotations

import asyncio
import dataclasses
import csv
import io
import json
import uuid

import httpx
import pytest

from contracts import signing, topics
from contracts.envelope import now
from contracts.events import ReferralOffered
from infra import samples
from infra.demo import REFERRAL_STEP as STEP, for_this_run
from infra.federation import Instance, federation, submit, wait_for
from infra.mailbox import read_mailbox
from services.runtime.messages import first_event
from tests.support.kafka import publish_raw, read_topic
from tests.support.staff import create_account, csrf_token, signed_in_client

@pytest.fixture(scope="module")
def factories(tmp_path_factory) -> dict[str, Instance]:
    with federation(tmp_path_factory.mktemp("federation"), ("lux-aif", "pharos")) as instances:
        yield instances


def unique(sample: samples.Sample) -> samples.Sample:
    """The sample from an address of its own: each test's applicant is another person."""
    return dataclasses.replace(sample, body=for_this_run(sample.body, uuid.uuid4().hex[:8]))


def emails_to(instance: Instance, address: str) -> list:
    return [m for m in read_mailbox(instance.directory / "mail") if m["To"] == address]


async def eventually(check, timeout: float = 60):
    """The first truthy result of `check()` (sync), polled until `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await asyncio.to_thread(check)):
        assert asyncio.get_running_loop().time() < deadline, "not reached in time"
        await asyncio.sleep(0.5)
    return result


async def records_of(instance: Instance, topic: str, **data) -> list[dict]:
    """The envelopes on `topic` of `instance`'s cluster whose data has the fields `data`."""
    envelopes = [json.loads(r.value) for r in await read_topic(instance.kafka.bootstrap, topic)]
    return [e for e in envelopes if all(e["data"].get(field) == value for field, value in data.items())]


async def journey_across(sender: Instance, receiver: Instance, sample: samples.Sample) -> None:
    """Submit `sample` to `sender`, whose policy forwards it to `receiver`; follow it on both sides."""
    email = sample.body["contact"]["email"]
    status_url = await asyncio.to_thread(submit, sender, sample)

    # The sender's applicant sees the offer and the partner's acceptance on the status page
    status = await asyncio.to_thread(wait_for, status_url)
    assert (status["decision"]["outcome"], status["decision"]["factory_id"]) == ("forward", receiver.factory_id)
    steps = [entry["summary"] for entry in status["timeline"] if entry["event"] == STEP]
    assert any("accepted the referral" in step for step in steps), steps

    # The offer left the sender's cluster signed by the sender, with its hop list, and arrived in the receiver's
    (offer,) = await records_of(sender, topics.referrals_to(receiver.factory_id).name,
                                application_id=status["application_id"])
    assert offer["source"] == signing.partner_source(sender.factory_id)
    assert offer["data"]["hops"] == [sender.factory_id] and offer["data"]["consent_to_share"] is True
    arrived = await records_of(receiver, topics.referrals_to(receiver.factory_id).name,
                               application_id=status["application_id"])
    assert [a["id"] for a in arrived] == [offer["id"]]

    # The receiver took it in as its own application, decided by its own policy: accepted, with one of its experts
    (taken_in,) = [e for e in await records_of(receiver, topics.APPLICATION_SUBMITTED.name)
                   if (e["data"].get("offer") or {}).get("offer_id") == offer["data"]["offer_id"]]
    assert taken_in["data"]["channel"] == f"partner:{sender.factory_id}"
    assert taken_in["data"]["hops"] == [sender.factory_id]
    assert taken_in["correlationid"] == offer["correlationid"]  # one journey across both clusters
    (decision,) = await records_of(receiver, topics.DECISION_MADE.name,
                                   application_id=taken_in["data"]["application_id"])
    assert decision["data"]["outcome"] == "accept_local" and decision["data"]["expert_name"]
    assert decision["data"]["answers_offer_of"] == sender.factory_id

    # Its answer went back signed by the receiver
    (answer,) = await records_of(sender, topics.replies_to(sender.factory_id).name,
                                 offer_id=offer["data"]["offer_id"])
    assert answer["source"] == signing.partner_source(receiver.factory_id)
    assert answer["data"]["answer"] == "accept"

    # The sender's staff see it in the indicators: a referral the partner accepted
    viewer = create_account(sender, "viewer", "Marc Klein")
    async with signed_in_client(sender.intake, viewer) as console:
        rows = {tuple(row[:2]): int(row[2]) for row in csv.reader(io.StringIO(
            (await console.get("/console/indicators.csv")).text)) if row[0].startswith("referrals_")}
    assert rows[("referrals_accepted", receiver.factory_id)] >= 1
    assert rows[("referrals_sent", receiver.factory_id)] >= 1

    # The applicant hears from both: the sender says the partner accepted, the receiver names their expert
    from_sender = await eventually(lambda: emails_to(sender, email) if len(emails_to(sender, email)) >= 2 else None)
    assert any(receiver_name(receiver) in m.get_body(("plain",)).get_content() for m in from_sender)
    (from_receiver,) = await eventually(lambda: emails_to(receiver, email))
    assert decision["data"]["expert_name"] in from_receiver.get_body(("plain",)).get_content()


def receiver_name(instance: Instance) -> str:
    return {"lux-aif": "Luxembourg", "pharos": "Pharos"}[instance.factory_id]


async def test_a_greek_health_project_submitted_to_luxembourg_is_accepted_by_pharos(factories):
    await journey_across(factories["lux-aif"], factories["pharos"], unique(samples.ATHENS_CARDIO))


async def test_a_luxembourg_fintech_project_submitted_to_pharos_is_accepted_by_luxembourg(factories):
    await journey_across(factories["pharos"], factories["lux-aif"], unique(samples.KIRCHBERG_PAY))


async def test_an_offer_made_while_the_partner_is_down_arrives_when_it_is_back(factories):
    lux, pharos = factories["lux-aif"], factories["pharos"]
    sample = unique(samples.ATHENS_CARDIO)
    # Given Pharos down: its broker, services and MirrorMaker
    await asyncio.to_thread(pharos.stop)

    # When Luxembourg forwards a project to it
    status_url = await asyncio.to_thread(submit, lux, sample)
    status = await asyncio.to_thread(wait_for, status_url, lambda s: any(
        e["event"] == STEP and "offered" in e["summary"].lower() for e in s["timeline"]))
    await asyncio.sleep(5)
    assert not any("accepted the referral" in e["summary"] for e in (await status_of(status_url))["timeline"])

    # Then the offer waits in Luxembourg's cluster, and once Pharos is back it is taken in and answered
    await asyncio.to_thread(pharos.start_broker)
    await asyncio.to_thread(pharos.start_services)
    status = await asyncio.to_thread(wait_for, status_url)
    assert any("accepted the referral" in e["summary"] for e in status["timeline"] if e["event"] == STEP)
    offers = await records_of(pharos, topics.referrals_to("pharos").name, application_id=status["application_id"])
    assert len({offer["id"] for offer in offers}) == 1


async def test_pharos_staff_answer_an_offer_its_policy_leaves_to_them(factories):
    lux, pharos = factories["lux-aif"], factories["pharos"]
    # Given a Greek health project with no data yet: Luxembourg offers it to Pharos, whose policy asks its staff
    sample = unique(samples.ATHENS_CARDIO)
    sample.body["project"].update(data_readiness="none", stage="idea")
    status_url = await asyncio.to_thread(submit, lux, sample)
    offered = await asyncio.to_thread(wait_for, status_url, lambda s: any(
        e["event"] == STEP and "offered" in e["summary"].lower() for e in s["timeline"]))

    async def taken_in():
        return [e for e in await records_of(pharos, topics.APPLICATION_SUBMITTED.name)
                if (e["data"].get("offer") or {}).get("application_id") == offered["application_id"]]

    async with asyncio.timeout(60):
        while not (found := await taken_in()):
            await asyncio.sleep(0.5)
        application_id = found[0]["data"]["application_id"]
        while not (decided := await records_of(pharos, topics.DECISION_MADE.name, application_id=application_id)):
            await asyncio.sleep(0.5)
    assert decided[0]["data"]["outcome"] == "review"
    assert not await records_of(lux, topics.replies_to("lux-aif").name, application_id=offered["application_id"])

    # When Eleni Pappas, a triager at Pharos, accepts it in Pharos's console, where it shows as Luxembourg's offer
    eleni = create_account(pharos, "triager", "Eleni Pappas")
    async with signed_in_client(pharos.intake, eleni) as console:
        page = await console.get(f"/console/applications/{application_id}")
        assert "Offered by Luxembourg AI Factory" in page.text
        sent = await console.post(f"/console/applications/{application_id}/override", data={
            "outcome": "accept_local", "factory": "", "reason": "Our cardiology team will help them collect data.",
            "csrf_token": csrf_token(page.text)})
        assert sent.status_code == 303, sent.text

    # Then her decision answers Luxembourg's offer, and Luxembourg's applicant sees Pharos accepted
    status = await asyncio.to_thread(wait_for, status_url)
    (accepted,) = [e["summary"] for e in status["timeline"] if e["event"] == STEP and "accepted" in e["summary"]]
    assert "Pharos takes the project" in accepted


async def status_of(status_url: str) -> dict:
    async with httpx.AsyncClient(timeout=10) as client:
        return (await client.get(status_url)).json()


def offer_from_luxembourg(**changes) -> tuple[bytes, str]:
    """An offer as Luxembourg's routing makes it, with `changes`: its value and application id."""
    application_id = str(uuid.uuid4())
    sample = samples.ATHENS_CARDIO.body
    offer = ReferralOffered.model_validate({
        "application_id": application_id, "offer_id": str(uuid.uuid4()), "factory_id": "pharos",
        "from_factory": "lux-aif", "attempt": 1, "answer_by": now().isoformat(), "fit_score": 100,
        "project": {"title": sample["project"]["title"], "summary": sample["project"]["summary"],
                    "sectors": ["health"], "data_readiness": "ready", "stage": "pilot"},
        "company_country": "GR", "company_size": "sme", "contact": sample["contact"],
        "company_name": sample["company"]["name"], "consent_to_share": True, "hops": ["lux-aif"], **changes})
    envelope = first_event(topics.referrals_to("pharos"), offer, service="routing", subject=application_id)
    return envelope.model_dump_json().encode(), application_id


async def test_pharos_declines_an_offer_outside_its_priorities_and_leaves_the_applicant_to_luxembourg(factories):
    lux, pharos = factories["lux-aif"], factories["pharos"]
    # Given an offer from Luxembourg of a fintech project, outside Pharos's priorities
    fintech = unique(samples.KIRCHBERG_PAY).body
    value, application_id = offer_from_luxembourg(
        project={"title": fintech["project"]["title"], "summary": fintech["project"]["summary"],
                 "sectors": ["finance"], "data_readiness": "ready", "stage": "prototype"},
        contact=fintech["contact"], company_name=fintech["company"]["name"], company_country="LU")
    await publish_signed_by_luxembourg(lux, pharos, value, application_id)

    # Then Pharos answers Luxembourg: declined, back to Luxembourg to ask its next partner
    async with asyncio.timeout(60):
        while not (answers := await records_of(pharos, topics.replies_to("lux-aif").name,
                                               application_id=application_id)):
            await asyncio.sleep(0.5)
    (answer,) = answers
    assert answer["data"]["answer"] == "decline"
    assert "goes back to Luxembourg AI Factory" in answer["data"]["reason"]
    # And Pharos wrote nothing to the applicant: Luxembourg tells them
    await asyncio.sleep(2)
    assert emails_to(pharos, fintech["contact"]["email"]) == []


async def publish_signed_by_luxembourg(lux: Instance, pharos: Instance, value: bytes, application_id: str) -> None:
    """Write an offer where Luxembourg's offers arrive in Pharos's cluster, signed with Luxembourg's key."""
    key = signing.load_private_key(lux.secrets / "factory-signing-key.pem")
    await publish_raw(pharos.kafka.bootstrap, topics.referrals_to("pharos").name, application_id.encode(), value,
                      headers=[("content-type", b"application/cloudevents+json"),
                               (signing.KAFKA_HEADER, signing.sign(key, value).encode())])


@pytest.mark.parametrize(("changes", "reason"), [
    ({"consent_to_share": False, "contact": None, "company_name": None}, "did not consent"),
    ({"hops": ["pharos", "lux-aif"]}, "came through pharos already"),
], ids=["without consent", "back to a factory it came through"])
async def test_pharos_refuses_an_offer_without_consent_or_one_that_would_loop(factories, changes, reason):
    lux, pharos = factories["lux-aif"], factories["pharos"]
    value, application_id = offer_from_luxembourg(**changes)
    await publish_signed_by_luxembourg(lux, pharos, value, application_id)

    async def dead_letter():
        records = await read_topic(pharos.kafka.bootstrap, topics.referrals_to("pharos").dlq)
        return [dict(r.headers) for r in records if r.key == application_id.encode()]

    async with asyncio.timeout(60):
        while not (letters := await dead_letter()):
            await asyncio.sleep(0.5)
    assert any(reason in value.decode() for letter in letters for value in letter.values())
    # Nothing of it was taken in
    assert not [e for e in await records_of(pharos, topics.APPLICATION_SUBMITTED.name)
                if (e["data"].get("offer") or {}).get("application_id") == application_id]
