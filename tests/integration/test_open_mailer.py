"""notify's caps on emails to one address and one domain, against a real broker, database and SMTP server: beyond
them an email is held, not sent, whichever way the application came in; and only an address emailed before reads
the project's title."""

from __future__ import annotations

import asyncio

from contracts.events import Applicant, DecisionMade
from contracts.topics import DECISION_MADE
from infra.mailbox import read_mailbox
from services.runtime.broker import publish
from services.runtime.messages import first_event
from tests.support.notify import decisions_to_mail

TITLE = "Fraud detection in reinsurance claims"


def decision(application_id: str, address: str, run: str):
    made = DecisionMade(
        application_id=application_id, outcome="review", reasons=["Our experts look at it."], policy_version="test",
        decided_by="routing", consent_to_share=False,
        applicant=Applicant(company_name="Moselle Re", contact_name="Anne Weber", email=address, language="en",
                            project_title=TITLE))
    return first_event(DECISION_MADE, made, service="routing", subject=application_id).model_copy(
        update={"subject": run})  # one key: one partition, in order


async def test_emails_beyond_the_caps_per_address_and_per_domain_are_held(kafka_bootstrap, tmp_path, monkeypatch):
    # Given notify allowing 2 emails per address and 3 per domain a day, one decision per transaction
    async with decisions_to_mail(kafka_bootstrap, tmp_path, monkeypatch, BATCH_MAX_RECORDS="1",
                                 MAX_EMAILS_PER_ADDRESS="2", MAX_EMAILS_PER_DOMAIN="3") as test:
        domain = f"{test.run}.example"
        # When three applications name anne@, then two more name bob@ and carol@ of the same domain, then one
        # names someone elsewhere
        sent = [(f"CAPPED-{test.run}-{n}", address) for n, address in enumerate(
            [f"anne@{domain}", f"Anne@{domain}", f"anne@{domain}", f"bob@{domain}", f"carol@{domain}",
             f"dan@elsewhere-{test.run}.example"])]
        for application_id, address in sent:
            await publish(test.kafka, DECISION_MADE, decision(application_id, address, test.run))
        await test.runtime.start()
        async with asyncio.timeout(60):
            while not any(m["X-Application-Id"] == sent[-1][0] for m in read_mailbox(test.folder)):
                await asyncio.sleep(0.1)

    # Then anne@ got two emails (however her address was spelt), bob@ the domain's third, carol@ none, dan@ his
    delivered = {m["X-Application-Id"]: m for m in read_mailbox(test.folder)}
    assert sorted(delivered) == sorted(sent[n][0] for n in (0, 1, 3, 5))
    # And only the second email to anne@ names the project: the first to an address carries none of the sender's
    # words but the name
    assert TITLE not in delivered[sent[0][0]].get_content()
    assert f"Your project: {TITLE}" in delivered[sent[1][0]].get_content()
    assert TITLE not in delivered[sent[3][0]].get_content()
