"""notify's duplicate-email window, against a real broker, database and SMTP server: a batch's emails are sent
together before the transaction that marks them commits; if that commit fails, that batch's emails (and no
others) are sent again, with the same Message-IDs."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from contracts.events import Applicant, DecisionMade
from contracts.topics import DECISION_MADE, EMAIL_SENT
from infra.mailbox import read_mailbox
from services.runtime.broker import Kafka, publish
from services.runtime.messages import first_event
from services.runtime.reactions import Reactions, on
from services.runtime.service import runtime_for
from tests.support.kafka import read_topic
from tests.support.notify import notify_with_mailbox

BATCH = 5


def decision(application_id: str):
    made = DecisionMade(
        application_id=application_id, outcome="decline", reasons=["Military purposes are outside our scope."],
        policy_version="test", decided_by="routing", consent_to_share=False,
        applicant=Applicant(company_name="Moselle Re", contact_name="Anne Weber",
                            email="anne.weber@moselle-re.example", language="fr", project_title="Votre projet"))
    return first_event(DECISION_MADE, made, service="routing", subject=application_id)


async def test_a_failed_commit_sends_that_one_batch_again_with_the_same_message_ids(
        kafka_bootstrap, tmp_path, monkeypatch):
    # Given notify's reactions, in a consumer group of this test, with batches of 5, and a mailbox
    run, folder = uuid.uuid4().hex[:8], tmp_path / "mail"
    notify, mailbox = await notify_with_mailbox(kafka_bootstrap, tmp_path, monkeypatch, BATCH_MAX_RECORDS=str(BATCH))
    settings = notify.settings
    runtime = runtime_for(settings)
    runtime.serve(Reactions("notify", (on(DECISION_MADE, f"notify-batch-test-{run}", notify.when_decision_made),)))

    # And a database whose first commit fails after the emails went out
    failures = []
    mark = runtime.relay.mark

    async def failing_once(session, ids) -> None:
        if not failures:
            failures.append(True)
            raise ConnectionResetError("the database connection was lost")
        await mark(session, ids)

    runtime.relay.mark = failing_once  # type: ignore[method-assign]

    # When five decisions wait on one partition, then five more come after the first batch is done
    first = [f"BATCHED-BADGER-{run}-{n}" for n in range(BATCH)]
    later = [f"LATER-LYNX-{run}-{n}" for n in range(BATCH)]
    kafka = Kafka(settings)
    await kafka.start()
    try:
        for application_id in first:
            await publish(kafka, DECISION_MADE, decision(application_id).model_copy(update={"subject": run}))
        await runtime.start()
        try:
            async with asyncio.timeout(30):
                while len(sent_to(folder, first)) < 2 * BATCH:
                    await asyncio.sleep(0.1)
            for application_id in later:
                await publish(kafka, DECISION_MADE, decision(application_id).model_copy(update={"subject": run}))
            async with asyncio.timeout(30):
                while len(sent_to(folder, later)) < BATCH:
                    await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # anything more would have come by now
        finally:
            await runtime.stop()
            await runtime.engine.dispose()
    finally:
        await kafka.stop()
        mailbox.stop()

    # Then the first batch was sent twice, each email with its own Message-ID both times; the later ones once
    assert failures
    assert sorted(Counter(sent_to(folder, first)).values()) == [2] * BATCH  # five Message-IDs, each sent twice
    assert sorted(Counter(sent_to(folder, later)).values()) == [1] * BATCH
    # And each of the ten emails was announced once
    announced = [r for r in await read_topic(kafka_bootstrap, EMAIL_SENT.name) if r.key.decode() == run]
    assert len(announced) == 2 * BATCH


def sent_to(folder, application_ids: list[str]) -> list[str]:
    """The Message-IDs of the emails delivered about these applications, one entry per delivery."""
    wanted = set(application_ids)
    return [m["Message-ID"] for m in read_mailbox(folder) if m["X-Application-Id"] in wanted]
