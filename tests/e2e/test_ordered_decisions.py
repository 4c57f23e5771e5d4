"""A replay never goes back in time: routing numbers each application's decisions, and a decision older than
the one the applicant was told of last (a dead letter replayed after a staff override) changes neither the status
page nor the applicant's mailbox.

The older decision is a real dead letter: notify could not email it when it was made (the mail relay refused the
applicant's domain by a wrong policy), and the operator replays it with the dead-letter tool once the relay is
fixed, by then after a staff member changed the decision in the console."""

from __future__ import annotations

from contracts.topics import DECISION_MADE
from infra import samples
from tests.e2e.test_dead_letter_replay import dead_letters, decided_while_the_relay_refuses, listed
from tests.support.kafka import wait_consumed
from tests.support.staff import create_account, csrf_token, signed_in_client

REASON = "A Luxembourg hospital joins the project; the L-AIF takes it on."


async def test_a_replayed_older_decision_neither_undoes_a_staff_override_nor_reaches_the_applicant(system):
    # Given Rhein Radiologie's project, forwarded to the JUPITER AI Factory while the mail relay refused every
    # address of its domain: notify sent that decision to its dead-letter topic, Dr. Petra Lang has no email
    application_id, status_url = await decided_while_the_relay_refuses(system, samples.RHEIN_RADIOLOGIE)
    forwarded = await system.status(status_url)
    assert (forwarded["decision"]["outcome"], forwarded["decision"]["factory_id"]) == ("forward", "jaif")
    assert system.emails_to(application_id) == []

    # And Claire Hoffmann, a triager, accepts it for the L-AIF in the console: Dr. Lang is told
    claire = create_account(system, "triager", "Claire Hoffmann")
    async with signed_in_client(system.intake, claire) as console:
        page = await console.get(f"/console/applications/{application_id}")
        sent = await console.post(f"/console/applications/{application_id}/override", data={
            "outcome": "accept_local", "factory": "", "reason": REASON, "csrf_token": csrf_token(page.text)})
        assert sent.status_code == 303, sent.text
    accepted = await system.wait_until(status_url, lambda s: s["decision"]["decided_by"] == "Claire Hoffmann")
    (email,) = await system.wait_for_emails(application_id)
    assert email["X-Notice-Kind"] == "decision:accept_local:lux-aif"

    # When the operator replays the old decision from its dead-letter topic, the relay being fixed
    code, out, err = await dead_letters(system, "list", "--topic", DECISION_MADE.name)
    assert code == 0, err
    (record_id,) = [i for i, r in listed(out).items() if r["key"] == application_id]
    code, out, err = await dead_letters(system, "replay", record_id)
    assert code == 0, err
    partition, offset = (int(n) for n in out.split()[-1].rsplit(":", 2)[1:])
    for group in ("notify", "intake.read-model.decisions"):
        await wait_consumed(system.bootstrap, group, DECISION_MADE.name, partition, offset)

    # Then the status page still shows Claire Hoffmann's acceptance, and Dr. Lang got no email about the forward
    status = await system.status(status_url)
    assert status["decision"] == accepted["decision"]
    assert (status["decision"]["outcome"], status["decision"]["factory_id"]) == ("accept_local", "lux-aif")
    assert [m["X-Notice-Kind"] for m in system.emails_to(application_id)] == ["decision:accept_local:lux-aif"]
