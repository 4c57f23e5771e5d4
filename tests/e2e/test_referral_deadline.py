"""A partner that does not answer before the deadline: the offer is escalated to intake staff, the applicant is
told, and a late answer changes nothing. The deadline is seconds here (REFERRAL_ANSWER_SECONDS), on a system of
its own, so the other tests' partners keep the default two days."""

from __future__ import annotations

import asyncio
import copy

import pytest

from contracts import reference, topics
from contracts.envelope import Envelope
from contracts.events import ReferralOffered
from infra import samples
from infra.credentials import Credentials
from infra.partner_simulator import Partner, reply_to
from infra.topics import create_topics
from tests.support.kafka import kafka_broker, read_topic, wait_caught_up
from tests.support.partners import referral_steps
from tests.support.system import running_system

ANSWER_SECONDS = 3


@pytest.fixture(scope="module")
def impatient_system(database, tmp_path_factory: pytest.TempPathFactory):
    with kafka_broker(tmp_path_factory.mktemp("impatient-broker")) as bootstrap:
        asyncio.run(create_topics(bootstrap))
        with running_system(bootstrap, database, tmp_path_factory.mktemp("impatient-var"), "impatient",
                            REFERRAL_ANSWER_SECONDS=str(ANSWER_SECONDS), REFERRAL_CHECK_SECONDS="0.5") as system:
            yield system



async def test_an_offer_left_unanswered_goes_to_staff_and_a_late_answer_changes_nothing(impatient_system):
    system = impatient_system
    # Given Rhein Radiologie's health project, consenting to share, offered to the JUPITER AI Factory
    body = copy.deepcopy(samples.RHEIN_RADIOLOGIE.body)
    body["consent"]["share_with_partner_factories"] = True
    response = await system.submit(body)
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]

    # When JAIF stays silent past the deadline
    # (the decision and the exchange's steps come on two topics, read by two consumers: the page shows both in turn)
    status = await system.wait_until(status_url, lambda s: s.get("decision", {}).get("outcome") == "review"
                                     and len(referral_steps(s)) == 2, timeout=ANSWER_SECONDS + 30)

    # Then the timeline shows the offer, then the escalation, and the decision says why
    name = reference.load().factory("jaif").name
    offered, expired = referral_steps(status)
    assert offered.startswith(f"Offered to {name}")
    assert expired.startswith(f"{name} did not answer by") and "escalated to an intake expert" in expired
    assert status["decision"]["reasons"] == [expired]
    # And the applicant was told both: the forward, then that staff take it up
    emails = await system.wait_for_emails(application_id, count=2)
    assert sorted(email["X-Notice-Kind"] for email in emails) == ["decision:forward:jaif", "decision:review:-"]

    # When JAIF's acceptance arrives late
    (record,) = [r for r in await read_topic(system.bootstrap, topics.referrals_to("jaif").name)
                 if r.key == application_id.encode()]
    offer = Envelope[ReferralOffered].model_validate_json(record.value)
    secrets = Credentials(system.stack.var_dir / "secrets")
    async with Partner("jaif", secrets.signing_key("jaif"), system.bootstrap) as jaif:
        await jaif.send(topics.REFERRAL_REPLIES, reply_to(offer, "accept"))
    await wait_caught_up(system.bootstrap, "routing.referrals", topics.REFERRAL_REPLIES.name)

    # Then nothing changes: staff keep it, and no other email goes out
    late = await system.status(status_url)
    assert referral_steps(late) == referral_steps(status) and late["decision"] == status["decision"]
    await asyncio.sleep(1)
    assert len(system.emails_to(application_id)) == 2
