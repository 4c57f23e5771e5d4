"""Sending emails over SMTP, on one session kept open: the local mailbox by default, any relay through settings."""

from __future__ import annotations

import asyncio
import smtplib
from concurrent.futures import ThreadPoolExecutor
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


def _send(connection: "Connection", message: EmailMessage) -> None:
    try:
        connection.deliver(message)
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
        raise Unavailable(f"the SMTP server at {connection.host}:{connection.port} is away: {error}") from error
    except smtplib.SMTPResponseException as error:
        if 400 <= error.smtp_code < 500:  # "try again later": the relay's own words for an outage
            raise Unavailable(f"the SMTP server answered {error.smtp_code}: {error.smtp_error!r}") from error
        raise PermanentError(f"the SMTP server refused the email: {error.smtp_code} {error.smtp_error!r}") from error


class Connection:
    """One SMTP session kept open from email to email: connecting, the greeting, EHLO, STARTTLS and the login
    cost more than sending a short email, and were paid for each one. Used from one thread at a time.

    Before a kept session carries an email, a NOOP asks the server whether it still holds it: a server closes a
    session idle for long (saying 421, or nothing at all). If not, the email goes on a new session; nothing of it
    was sent on the old one, so it cannot arrive twice. Any failure while sending closes the session, and the
    next email starts afresh."""

    def __init__(self, host: str, port: int, username: str | None, password: str | None, starttls: bool) -> None:
        self.host, self.port = host, port
        self._username, self._password, self._starttls = username, password, starttls
        self._smtp: smtplib.SMTP | None = None

    def deliver(self, message: EmailMessage) -> None:
        smtp = self._kept() or self._open()
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:  # the session is still good: smtplib reset it
            if all(400 <= code < 500 for code, _ in refused.recipients.values()):
                # One mailbox that cannot take mail now (full, greylisted): retried, then a dead letter to replay
                # later; never an outage, which would hold every other applicant's email behind it.
                raise RecipientDeferred(f"the SMTP server defers the recipient: {refused.recipients}") from refused
            # The server will not take this address: retrying cannot help, the dead-letter topic can.
            raise PermanentError(f"the SMTP server refused the recipient: {refused.recipients}") from refused
        except BaseException:
            self.close()
            raise

    def _kept(self) -> smtplib.SMTP | None:
        """The kept session, if the server still answers on it."""
        if self._smtp is None:
            return None
        try:
            if self._smtp.noop()[0] == 250:
                return self._smtp
        except (smtplib.SMTPException, OSError):
            pass
        self.close()
        return None

    def _open(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=10)
        try:
            if self._starttls:
                smtp.starttls()
            if self._username:
                smtp.login(self._username, self._password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


# One kept session per relay and its settings, with the one thread that uses it: smtplib blocks, and a thread
# keeps the consumer's event loop (and its heartbeats) running; one thread keeps the emails in their order.
_connections: dict[tuple, tuple[Connection, ThreadPoolExecutor]] = {}


async def send(message: EmailMessage, *, host: str, port: int, username: str | None = None,
               password: str | None = None, starttls: bool = False) -> None:
    settings = (host, port, username, password, starttls)
    if settings not in _connections:
        _connections[settings] = (Connection(*settings), ThreadPoolExecutor(1, thread_name_prefix="smtp"))
    connection, thread = _connections[settings]
    await asyncio.get_running_loop().run_in_executor(thread, _send, connection, message)


async def close_all() -> None:
    """Say goodbye to every relay (QUIT) when the service stops."""
    loop = asyncio.get_running_loop()
    for connection, thread in list(_connections.values()):
        await loop.run_in_executor(thread, connection.close)
        thread.shutdown()
    _connections.clear()
