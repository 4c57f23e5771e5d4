"""Staff overrides, end to end: a staff member's decision, put on the topic as intake's console stages it,
becomes the current one in their name, and the applicant is told in their language; a forward is offered to the
partner they chose while the exchange under way is closed; an override routing cannot carry out is a dead
letter with the reason, and changes nothing."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts import reference, topics
from contracts.envelope import Envelope, now
from contracts.events import OverrideRequested, ReferralOffered
from infra import samples
from infra.partner_simulator import reply_to
from services.runtime.db import async_url
from services.runtime.messages import command
from tests.support.kafka import publish_raw, records_about, wait_caught_up
from tests.support.partners import consenting_rhein_radiologie, error_of, partner, referral_steps, wait_for

STAFF = "Claire Hoffmann"


async def on_topic(system, topic_name: str, application_id: str) -> list:
    return await records_about(system.bootstrap, topic_name, application_id)


async def send_override(system, application_id: str, outcome: str, reason: str, factory_id: str | None = None):
    """The command as intake's console stages it (services/intake/console/overrides.py): in the application's journey,
    whose correlation id is its submitted event's id; published as intake's outbox relay publishes it."""
    submitted = await on_topic(system, topics.APPLICATION_SUBMITTED.name, application_id)
    correlation_id = json.loads(submitted[0].value)["id"] if submitted else str(uuid.uuid4())
    override = OverrideRequested(application_id=application_id, outcome=outcome, factory_id=factory_id,
                                 reason=reason, requested_by=STAFF, staff_username="choffmann", requested_at=now())
    envelope = command(topics.OVERRIDE_REQUESTED, override, service="intake", subject=application_id,
                       correlation_id=correlation_id)
    await publish_raw(system.bootstrap, topics.OVERRIDE_REQUESTED.name, application_id.encode(),
                      envelope.model_dump_json().encode(), headers=[("content-type", b"application/cloudevents+json")])


async def submitted_and_decided(system, body: dict) -> tuple[str, str, dict]:
    response = await system.submit(body)
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    status = await system.wait_until(status_url, lambda s: "decision" in s)
    return application_id, status_url, status


def decided_by_staff(status: dict) -> bool:
    return status.get("decision", {}).get("decided_by") == STAFF


async def routing_events_about(system, application_id: str) -> int:
    """How many events routing has staged about the application: whatever it does shows here first."""
    engine = create_async_engine(async_url(system.stack.service_env("routing")["DATABASE_URL"]))
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text("SELECT count(*) FROM outbox WHERE key = :key"),
                                             {"key": application_id})).scalar_one()
    finally:
        await engine.dispose()


async def test_staff_accept_a_forwarded_project_and_the_applicant_hears_it_in_german(system):
    # Given Rhein Radiologie's health project, forwarded to the JUPITER AI Factory (no consent to share)
    application_id, status_url, before = await submitted_and_decided(system, samples.RHEIN_RADIOLOGIE.body)
    assert (before["decision"]["outcome"], before["decision"]["factory_id"]) == ("forward", "jaif")

    # When Claire Hoffmann accepts it for the L-AIF, with her reason
    reason = "A Luxembourg hospital joins the project; the L-AIF takes it on."
    await send_override(system, application_id, "accept_local", reason, factory_id="lux-aif")

    # Then the current decision is hers: accepted, her reason first, the override in the policy
    status = await system.wait_until(status_url, decided_by_staff)
    decision = status["decision"]
    assert (decision["outcome"], decision["factory_id"]) == ("accept_local", "lux-aif")
    assert decision["reasons"][0] == f"Decision changed by {STAFF}: {reason}"
    assert decision["policy_version"] == before["decision"]["policy_version"] + "+override"
    # (an expert with room takes it, or it waits for one: the session's other tests fill the experts' places)
    assert bool(decision["expert_name"]) != decision["waiting_for_expert"]
    # And the timeline names her
    assert f"Decision by {STAFF}: accept_local" in [entry["summary"] for entry in status["timeline"]]
    # And the applicant gets a second email, in German, naming the expert and the reason
    emails = await system.wait_for_emails(application_id, count=2)
    (accepted,) = [email for email in emails if email["X-Notice-Kind"] == "decision:accept_local:lux-aif"]
    assert accepted["Content-Language"] == "de" and "angenommen" in accepted["Subject"]
    assert reason in accepted.get_content()
    assert (decision["expert_name"] or "wartet in unserer") in accepted.get_content()


async def test_a_forward_to_another_partner_is_offered_to_it_and_the_first_partners_late_answer_changes_nothing(
        system):
    # Given Rhein Radiologie, consenting to share, offered to the JUPITER AI Factory (jaif)
    body = consenting_rhein_radiologie("Dr. Anna Schreiber")
    application_id, status_url, _ = await submitted_and_decided(system, body)
    (jaif_offer,) = await wait_for(lambda: on_topic(system, topics.referrals_to("jaif").name, application_id),
                                   lambda found: len(found) == 1)

    # When Claire Hoffmann forwards it to AI Factory France (ai2f) instead
    reason = "The clinic group opens its imaging lab in Strasbourg."
    await send_override(system, application_id, "forward", reason, factory_id="ai2f")

    # Then the decision is hers, and the project is offered to ai2f, with the contact the applicant agreed to share
    status = await system.wait_until(status_url, decided_by_staff)
    assert (status["decision"]["outcome"], status["decision"]["factory_id"]) == ("forward", "ai2f")
    assert status["decision"]["reasons"][0] == f"Decision changed by {STAFF}: {reason}"
    (offer,) = await wait_for(lambda: on_topic(system, topics.referrals_to("ai2f").name, application_id),
                              lambda found: len(found) == 1)
    assert Envelope[ReferralOffered].model_validate_json(offer.value).data.contact.email == body["contact"]["email"]
    names = {f: reference.load().factory(f).name for f in ("jaif", "ai2f")}
    status = await system.wait_until(status_url, lambda s: len(referral_steps(s)) == 2)
    assert [step.split(" (")[0] for step in referral_steps(status)] == [f"Offered to {names['jaif']}",
                                                                         f"Offered to {names['ai2f']}"]
    # And the applicant is told in German where the project goes now
    emails = await system.wait_for_emails(application_id, count=2)
    (forwarded,) = [email for email in emails if email["X-Notice-Kind"] == "decision:forward:ai2f"]
    assert forwarded["Content-Language"] == "de" and names["ai2f"] in forwarded["Subject"]

    # When JAIF accepts its withdrawn offer late
    staged = await routing_events_about(system, application_id)
    async with partner(system, "jaif") as jaif:
        await jaif.send(topics.REFERRAL_REPLIES,
                        reply_to(Envelope[ReferralOffered].model_validate_json(jaif_offer.value), "accept"))
    await wait_caught_up(system.bootstrap, "routing.referrals", topics.REFERRAL_REPLIES.name)

    # Then routing did nothing of it: no step, no decision; the project stays with ai2f
    assert await routing_events_about(system, application_id) == staged
    late = await system.status(status_url)
    assert late["decision"] == status["decision"] and referral_steps(late) == referral_steps(status)


async def test_an_override_routing_cannot_carry_out_is_a_dead_letter_and_changes_nothing(system):
    # Given Petit Four's vague idea, sent to review by routing
    application_id, status_url, before = await submitted_and_decided(system, samples.PETIT_FOUR.body)

    # When a forward names a factory that does not exist, and an override names an application never decided
    unknown = str(uuid.uuid4())
    await send_override(system, application_id, "forward", "Atlantis fits best.", factory_id="atlantis-aif")
    await send_override(system, unknown, "review", "Look again.")

    # Then both are on the dead-letter topic, each with its reason
    dlq = topics.OVERRIDE_REQUESTED.dlq
    (bad_factory,) = await wait_for(lambda: on_topic(system, dlq, application_id), lambda found: len(found) == 1)
    (never_decided,) = await wait_for(lambda: on_topic(system, dlq, unknown), lambda found: len(found) == 1)
    assert "'atlantis-aif' is not a partner AI Factory" in error_of(bad_factory)
    assert f"override of application {unknown}, which routing never decided" == error_of(never_decided)
    # And Petit Four's decision is still routing's
    assert (await system.status(status_url))["decision"] == before["decision"]
