"""The operator's way back from the dead-letter topics: once the cause is fixed, `python -m infra.dead_letters`
lists the stuck record and replays it, and the pipeline processes it exactly once, however often it is replayed.

The CLI runs as the operator runs it, a process of its own against the session's broker."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from contracts.topics import APPLICATION_SUBMITTED, DECISION_MADE
from infra import samples
from infra.dead_letters import REPLAYED_FROM
from infra.localnet import port_open
from tests.support.kafka import message_count, publish_raw, read_topic, wait_consumed

ROOT = Path(__file__).resolve().parents[2]
DECISION = "lu.aif.routing.decision-made"
EMAIL_SENT = "lu.aif.notify.email-sent"


async def dead_letters(system, *args: str) -> tuple[int, str, str]:
    """Run the CLI; returns its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "infra.dead_letters", *args, "--bootstrap", system.bootstrap, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


def listed(output: str) -> dict[str, dict[str, str]]:
    """The blocks of `list`: {id: {"key": ..., "service": ..., ...}}."""
    blocks = {}
    for block in output.split("\n\n"):
        lines = block.strip().splitlines()
        if len(lines) > 1 and lines[1].startswith("  "):
            blocks[lines[0]] = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return blocks


def events(status: dict) -> list[str]:
    return [entry["event"] for entry in status["timeline"]]


async def dead_lettered(system, application_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not any(r.key == application_id.encode() for r in await read_topic(system.bootstrap, DECISION_MADE.dlq)):
        assert time.monotonic() < deadline, f"no dead letter for {application_id} in {timeout} s"
        await asyncio.sleep(0.2)


async def mailbox_back(system, timeout: float = 15, refused_domains: tuple[str, ...] = ()) -> None:
    system.stack.start_mailbox(refused_domains=refused_domains)
    deadline = time.monotonic() + timeout
    while not port_open(system.stack.smtp_port):
        assert time.monotonic() < deadline, "the mailbox did not come back"
        await asyncio.sleep(0.1)


async def decided_while_the_relay_refuses(system, sample: samples.Sample) -> tuple[str, str]:
    """`sample` submitted and decided while the mail relay refuses, by a wrong policy, every address of the
    applicant's domain: notify sends the decision to its dead-letter topic. Then the relay's policy is corrected
    (also for the other tests of the session, whatever happened). The application's id and status link."""
    system.stack.stop("mailbox")
    await mailbox_back(system, refused_domains=(sample.body["contact"]["email"].split("@")[1],))
    try:
        response = await system.submit(sample.body)
        application_id, status_url = response.json()["application_id"], response.json()["status_url"]
        await system.wait_until(status_url, lambda status: DECISION in events(status))
        await dead_lettered(system, application_id)
    finally:
        system.stack.stop("mailbox")
        await mailbox_back(system)
    return application_id, status_url


async def test_a_replayed_decision_reaches_the_applicant_exactly_once(system):
    # Given a mail relay that refuses, by a wrong policy, every address of Moselle Re's domain while its
    # application is decided: notify sends the decision to its dead-letter topic; Anne Weber has no email
    application_id, status_url = await decided_while_the_relay_refuses(system, samples.MOSELLE_RE)
    assert system.emails_to(application_id) == []
    assert EMAIL_SENT not in events(await system.status(status_url))

    # When the operator lists the dead letters and replays Moselle Re's decision
    code, out, err = await dead_letters(system, "list", "--topic", DECISION_MADE.name)
    assert code == 0, err
    (record_id, record), = [(i, r) for i, r in listed(out).items() if r["key"] == application_id]
    assert record["service"] == "notify" and record["attempts"] == "1"
    assert record["error"].startswith("PermanentError") and "550" in record["error"]
    assert record["origin"].startswith(DECISION_MADE.name + "[")
    code, out, err = await dead_letters(system, "replay", record_id)
    assert code == 0, err
    assert out.startswith(f"replayed {record_id} -> {DECISION_MADE.name}:")

    # Then Anne Weber gets one email, in French, and the timeline shows one decision and one email
    (email,) = await system.wait_for_emails(application_id)
    assert email["To"] == "anne.weber@moselle-re.example" and email["Content-Language"] == "fr"
    status = await system.wait_until(status_url, lambda status: EMAIL_SENT in events(status))
    assert events(status).count(DECISION) == 1 and events(status).count(EMAIL_SENT) == 1

    # And when it is replayed a second time, nothing changes: still one email, one decision, one email-sent
    code, out, err = await dead_letters(system, "replay", record_id)
    assert code == 0, err
    partition, offset = (int(n) for n in out.split()[-1].rsplit(":", 2)[1:])
    for group in ("notify", "intake.read-model.decisions"):
        await wait_consumed(system.bootstrap, group, DECISION_MADE.name, partition, offset)
    assert len(system.emails_to(application_id)) == 1
    status = await system.status(status_url)
    assert events(status).count(DECISION) == 1 and events(status).count(EMAIL_SENT) == 1
    replays = [dict(r.headers).get(REPLAYED_FROM) for r in await read_topic(system.bootstrap, DECISION_MADE.name)
               if r.key == application_id.encode()]
    assert replays == [None, record_id.encode(), record_id.encode()]  # the decision, then the two replays


async def test_a_replay_naming_an_unknown_record_replays_nothing(system):
    # Given a message triage could not read, waiting on its dead-letter topic
    await publish_raw(system.bootstrap, APPLICATION_SUBMITTED.name, b"half-a-croissant", b'{"company": "Petit F')
    deadline = time.monotonic() + 30
    while not (found := [i for i, r in listed((await dead_letters(system, "list"))[1]).items()
                         if r["key"] == "half-a-croissant"]):
        assert time.monotonic() < deadline, "the unreadable message never reached its dead-letter topic"
        await asyncio.sleep(0.2)
    before = await message_count(system.bootstrap, APPLICATION_SUBMITTED.name)

    # When the operator replays it together with a record that does not exist
    missing = f"{APPLICATION_SUBMITTED.dlq}:0:999999"
    code, out, err = await dead_letters(system, "replay", found[0], missing)

    # Then the command fails naming the unknown record, and nothing was published
    assert code != 0 and out == ""
    assert missing in err and found[0] not in err and "nothing replayed" in err
    assert await message_count(system.bootstrap, APPLICATION_SUBMITTED.name) == before


async def test_an_outage_of_the_mail_relay_holds_the_email_back_and_never_dead_letters_it(system):
    # Given the mailbox is down while Odyssea NLP's application is decided, for far longer than the retries
    # of a failing message take (MAX_ATTEMPTS 3, about 0.6 s)
    system.stack.stop("mailbox")
    try:
        response = await system.submit(samples.ODYSSEA_NLP.body)
        application_id, status_url = response.json()["application_id"], response.json()["status_url"]
        await system.wait_until(status_url, lambda status: DECISION in events(status))
        await asyncio.sleep(5)
        # Then nothing went to the dead-letter topic: notify waits for the relay, and its log says so
        assert not [r for r in await read_topic(system.bootstrap, DECISION_MADE.dlq)
                    if r.key == application_id.encode()]
        notify_log = (system.stack.var_dir / "log" / "notify.log").read_text(errors="replace")
        assert "waiting for an outage to end (Unavailable: the SMTP server at" in notify_log
        assert "ConnectionRefusedError" in notify_log
    finally:
        # When the mailbox comes back
        await mailbox_back(system)
    # Then the applicant gets the email once, with no operator involved
    (email,) = await system.wait_for_emails(application_id, timeout=60)
    status = await system.wait_until(status_url, lambda status: EMAIL_SENT in events(status))
    assert events(status).count(EMAIL_SENT) == 1
    assert not [r for r in await read_topic(system.bootstrap, DECISION_MADE.dlq) if r.key == application_id.encode()]
