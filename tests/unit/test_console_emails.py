"""The console shows each email as notify sent it: the text comes with the `email-sent` event. An email announced
before notify recorded the text has none, and the console says so instead of guessing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.events import EmailSent
from contracts.topics import EMAIL_SENT
from services.intake.console import dossier
from services.intake.read_model import updates
from tests.support.intake_db import event_about, intake_tables, submit, tx

MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)
WELCOME = "Dear Anne Weber,\n\nthe L-AIF accepts Moselle Re's project 'Fraud detection for reinsurance claims'."


def sent(application_id: str, subject: str, body: str | None, at: datetime) -> dict:
    """The payload of an `email-sent` event; without `body`, as notify announced emails before it kept the text."""
    payload = {"application_id": application_id, "notice_kind": "decision:accept_local:lux-aif",
               "to": "anne@moselle-re.example", "language": "en", "subject": subject,
               "message_id": f"<{subject.lower().replace(' ', '-')}@aiguillage.example>", "sent_at": at.isoformat()}
    return payload | ({"body": body} if body is not None else {})


async def test_the_console_shows_the_text_sent_and_says_when_an_older_email_has_none(tmp_path):
    async with intake_tables(tmp_path) as sessions:
        # Given Moselle Re's application, with an email announced before notify kept the text, and one after
        async with sessions() as session:
            moselle = await submit(session, MONDAY)
            for payload in (sent(moselle.subject, "Your application was received", None, MONDAY),
                            sent(moselle.subject, "Your project is accepted", WELCOME, MONDAY + timedelta(days=1))):
                data = EmailSent.model_validate(payload)
                await updates.when_email_sent(tx(session), event_about(moselle.subject, EMAIL_SENT, data,
                                                                       data.sent_at))
            await session.commit()

        # When the console reads the application's dossier
        async with sessions() as session:
            found = await dossier.load(session, moselle.subject)

    # Then the older email has no text, and the later one has exactly the text sent
    assert found is not None
    assert [(email.subject, email.body) for email in found.emails] == [
        ("Your application was received", None), ("Your project is accepted", WELCOME)]
