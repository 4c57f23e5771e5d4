"""Sending one email over SMTP: the local mailbox by default, any relay through settings."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from services.notify.render import Email
from services.runtime.dead_letter import PermanentError, Unavailable


class RecipientDeferred(Exception):
    """The relay cannot take mail for this one recipient now (a 4xx answer to RCPT)."""


def build_message(email: Email, *, sender: str, message_id: str, headers: dict[str, str]) -> EmailMessage:
    try:
        return _message(email, sender=sender, message_id=message_id, headers=headers)
    except ValueError as error:  # a header the email standard cannot carry: retrying cannot help
        raise PermanentError(f"the email cannot be built: {error}") from error


def _message(email: Email, *, sender: str, message_id: str, headers: dict[str, str]) -> EmailMessage:
    message = EmailMessage()
    message.set_content(email.body)  # first: set_content drops any Content-* header set before it
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Message-ID"] = message_id
    message["Content-Language"] = email.language
    for name, value in headers.items():
        message[name] = value
    return message


def _send(message: EmailMessage, host: str, port: int, username: str | None, password: str | None,
          starttls: bool) -> None:
    try:
        _deliver(message, host, port, username, password, starttls)
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
        raise Unavailable(f"the SMTP server at {host}:{port} is away: {error}") from error
    except smtplib.SMTPResponseException as error:
        if 400 <= error.smtp_code < 500:  # "try again later": the relay's own words for an outage
            raise Unavailable(f"the SMTP server answered {error.smtp_code}: {error.smtp_error!r}") from error
        raise PermanentError(f"the SMTP server refused the email: {error.smtp_code} {error.smtp_error!r}") from error


def _deliver(message: EmailMessage, host: str, port: int, username: str | None, password: str | None,
             starttls: bool) -> None:
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        if starttls:
            smtp.starttls()
        if username:
            smtp.login(username, password or "")
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            if all(400 <= code < 500 for code, _ in refused.recipients.values()):
                # One mailbox that cannot take mail now (full, greylisted): retried, then a dead letter to replay
                # later; never an outage, which would hold every other applicant's email behind it.
                raise RecipientDeferred(f"the SMTP server defers the recipient: {refused.recipients}") from refused
            # The server will not take this address: retrying cannot help, the dead-letter topic can.
            raise PermanentError(f"the SMTP server refused the recipient: {refused.recipients}") from refused


async def send(message: EmailMessage, *, host: str, port: int, username: str | None = None,
               password: str | None = None, starttls: bool = False) -> None:
    # smtplib blocks; a thread keeps the consumer's event loop (and its heartbeats) running.
    await asyncio.to_thread(_send, message, host, port, username, password, starttls)
