"""notify never tells an applicant what no longer holds, against a real broker, database and SMTP server: a
decision older than the one it emailed last, and a partner's acceptance from before that decision (dead letters
replayed after a staff override), are dropped, and their offsets committed.

Rhein Radiologie, a German clinic group: routing forwarded its project to JAIF on Monday (decision 1), JAIF
accepted on Tuesday, and on Wednesday Claire Hoffmann accepted it for the L-AIF instead (decision 2)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from contracts.envelope import Envelope
from contracts.events import Applicant, DecisionMade, ReferralUpdated
from contracts.topics import DECISION_MADE, REFERRAL_UPDATED, Topic
from infra.mailbox import read_mailbox
from services.runtime.broker import CONTENT_TYPE, Kafka
from services.runtime.messages import follow_up
from services.runtime.reactions import Reactions, on
from services.runtime.service import runtime_for
from tests.support.kafka import wait_consumed
from tests.support.notify import notify_with_mailbox

MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)
APPLICANT = Applicant(company_name="Rhein Radiologie", contact_name="Dr. Petra Lang",
                      email="p.lang@rhein-radiologie.example", language="de", project_title="KI in der Radiologie")


def about(application_id: str, topic: Topic, data, at: datetime) -> Envelope:
    return follow_up(str(uuid.uuid4()), topic, data, service=topic.writer, subject=application_id,
                     correlation_id=application_id).model_copy(update={"time": at})


def decided(application_id: str, sequence: int, outcome: str, factory_id: str, by: str) -> DecisionMade:
    return DecisionMade(application_id=application_id, outcome=outcome, factory_id=factory_id, reasons=["A reason."],
                        policy_version="test", decided_by=by, consent_to_share=True, applicant=APPLICANT,
                        sequence=sequence)


def kinds_sent(folder, application_id: str) -> list[str]:
    """The notice kinds of the emails about the application (the test's groups read the topics from their
    beginning: other tests' decisions are emailed too)."""
    return [m["X-Notice-Kind"] for m in read_mailbox(folder) if m["X-Application-Id"] == application_id]


async def test_a_decision_and_an_acceptance_older_than_the_override_are_not_emailed(
        kafka_bootstrap, tmp_path, monkeypatch):
    # Given notify's reactions, in consumer groups of this test, and a mailbox
    run, folder = uuid.uuid4().hex[:8], tmp_path / "mail"
    notify, mailbox = await notify_with_mailbox(kafka_bootstrap, tmp_path, monkeypatch)
    settings = notify.settings
    runtime = runtime_for(settings)
    groups = {DECISION_MADE.name: f"notify-order-test-{run}", REFERRAL_UPDATED.name: f"notify-order-steps-{run}"}
    runtime.serve(Reactions("notify", (
        on(DECISION_MADE, groups[DECISION_MADE.name], notify.when_decision_made),
        on(REFERRAL_UPDATED, groups[REFERRAL_UPDATED.name], notify.when_referral_updated))))
    application_id = f"RHEIN-RADIOLOGIE-{run}"
    forwarded = about(application_id, DECISION_MADE, decided(application_id, 1, "forward", "jaif", "routing"),
                      MONDAY)
    accepted_by_jaif = about(application_id, REFERRAL_UPDATED, ReferralUpdated(
        application_id=application_id, factory_id="jaif", step="accepted", attempt=1, reason="JAIF takes it on.",
        applicant=APPLICANT), MONDAY + timedelta(days=1))
    by_staff = about(application_id, DECISION_MADE,
                     decided(application_id, 2, "accept_local", "lux-aif", "Claire Hoffmann"), MONDAY + timedelta(2))

    kafka = Kafka(settings)
    await kafka.start()
    await runtime.start()
    try:
        # And Dr. Lang was told of Claire Hoffmann's acceptance
        await kafka.publish(by_staff.model_dump_json().encode(), topic=DECISION_MADE.name,
                            key=application_id.encode(), headers=[CONTENT_TYPE])
        async with asyncio.timeout(30):
            while not kinds_sent(folder, application_id):
                await asyncio.sleep(0.1)

        # When the forward to JAIF and JAIF's acceptance come after it, replayed from their dead-letter topics
        for envelope, topic in ((forwarded, DECISION_MADE), (accepted_by_jaif, REFERRAL_UPDATED)):
            sent = await kafka.publish(envelope.model_dump_json().encode(), topic=topic.name,
                                       key=application_id.encode(), headers=[CONTENT_TYPE])
            await wait_consumed(kafka_bootstrap, groups[topic.name], topic.name, sent.partition, sent.offset)
    finally:
        await runtime.stop()
        await runtime.engine.dispose()
        await kafka.stop()
        mailbox.stop()

    # Then Dr. Lang got one email, about the acceptance by the L-AIF: neither the forward nor JAIF's acceptance
    assert kinds_sent(folder, application_id) == ["decision:accept_local:lux-aif"]
