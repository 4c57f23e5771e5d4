"""Sending emails over SMTP, on a few sessions kept open: the local mailbox by default, any relay through settings.

What a failure means is decided by where it happens and the relay's reply code, never its words (which also echo
the recipient's address, and are therefore never kept): anything that fails before an email's own steps
(connecting, TLS, EHLO, AUTH, our sender at MAIL FROM) is the relay or our settings for it, an outage
(`Unavailable`); the answers to one email's recipient (RCPT) and content (DATA) go by `REPLIES`.
"""

from __future__ import annotations

import asyncio
import quopri
import smtplib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.header import Header
from email.utils import formatdate, parseaddr

from services.notify.render import Email
from services.runtime.dead_letter import PermanentError, TryLater, Unavailable, describe

# What a relay's refusal of one email's recipient (RCPT) or content (DATA) means, by reply code (RFC 5321 4.2,
# RFC 4954 for AUTH's): a code not listed goes by its first digit, 4 this email later (`TryLater`, retried for
# minutes: greylisting answers 450 or 451 once, and takes the email a few minutes later), 5 never
# (`PermanentError`: the dead-letter topic at once).
REPLIES: dict[int, type[Exception]] = {
    421: Unavailable,  # the relay closes the session: it is going away
    450: TryLater,     # the mailbox cannot take mail now (busy, greylisted)
    451: TryLater,     # a local error at the relay, or greylisting
    452: TryLater,     # insufficient storage (the mailbox full), or too many recipients for now
    454: Unavailable,  # TLS or authentication unavailable for now: the relay's, not the email's
    530: Unavailable,  # authentication required: our relay settings
    534: Unavailable,  # authentication mechanism too weak: our relay settings
    535: Unavailable,  # our credentials are refused: our relay settings
    538: Unavailable,  # encryption required: our relay settings
}


def refusal(code: int, answer: bytes, step: str) -> Exception:
    """The error for the relay's answer `code` to `step` of one email, named by its codes alone."""
    kind = REPLIES.get(code) or (TryLater if 400 <= code < 500 else PermanentError)
    return kind(f"the SMTP server refused {step}: {describe(smtplib.SMTPResponseException(code, answer))}")


@dataclass(frozen=True)
class Outgoing:
    """An email ready for the wire: the envelope's sender and recipient, and the message's bytes."""

    sender: str
    to: str
    data: bytes


def build_message(email: Email, *, sender: str, message_id: str, headers: dict[str, str]) -> Outgoing:
    """The email's bytes, written directly (RFC 5322, a UTF-8 text in quoted-printable): the full message
    machinery of the standard library cost more than the rest of notify's work per email (bench/, profiled).
    A header value that would break the header (a line break of any kind) cannot be sent: retrying cannot help."""
    fields = [("From", sender), ("To", email.to), ("Subject", email.subject), ("Message-ID", message_id),
              ("Date", formatdate(usegmt=True)), ("Content-Language", email.language), *headers.items(),
              ("MIME-Version", "1.0"), ("Content-Type", 'text/plain; charset="utf-8"'),
              ("Content-Transfer-Encoding", "quoted-printable")]
    lines = []
    for name, value in fields:
        if len(value.splitlines()) > 1 or "\r" in value or "\n" in value:
            raise PermanentError(f"the email cannot be built: the {name} header may not contain a line break")
        lines.append(f"{name}: {value if value.isascii() else Header(value, 'utf-8').encode()}")
    body = quopri.encodestring(email.body.replace("\r\n", "\n").encode("utf-8")).replace(b"\n", b"\r\n")
    return Outgoing(parseaddr(sender)[1] or sender, email.to,
                    "\r\n".join(lines).encode("ascii") + b"\r\n\r\n" + body)


def _send(connection: "Connection", message: Outgoing) -> None:
    try:
        connection.deliver(message)
    except (smtplib.SMTPException, OSError) as error:
        # The session failed outside the email's own answers: the relay is away, or our settings for it are wrong
        raise Unavailable(f"the SMTP server at {connection.host}:{connection.port} cannot be used: "
                          f"{type(error).__name__}: {describe(error)}") from None


class Connection:
    """One SMTP session kept open from email to email: connecting, the greeting, EHLO, STARTTLS and the login
    cost more than sending a short email, and were paid for each one. Used from one thread at a time.

    A server closes a session idle for long (saying 421, or nothing at all). No NOOP asks first: MAIL and RCPT
    do, as nothing is sent before DATA. If the server is gone at that point on a kept session, the email goes on
    a new one, and cannot arrive twice. Any failure from DATA on closes the session, and the next email starts
    afresh; whether the server took that email is unknown, and a retry may send it twice (same Message-ID)."""

    def __init__(self, host: str, port: int, username: str | None, password: str | None, starttls: bool) -> None:
        self.host, self.port = host, port
        self._username, self._password, self._starttls = username, password, starttls
        self._smtp: smtplib.SMTP | None = None

    def deliver(self, message: Outgoing) -> None:
        for kept in (self._smtp is not None, False):
            smtp = self._smtp or self._open()
            try:
                self._envelope(smtp, message)
            except (smtplib.SMTPServerDisconnected, OSError):
                self.close()
                if kept:
                    continue  # the server dropped the idle session before DATA: nothing was sent; a new session
                raise
            except BaseException:
                self.close()
                raise
            try:
                code, answer = smtp.data(message.data)
            except smtplib.SMTPDataError as error:  # DATA refused before the content: nothing was taken
                self.close()
                raise refusal(error.smtp_code, error.smtp_error, "the email") from None
            except BaseException:  # whether the server took it is unknown: the session is not trusted again
                self.close()
                raise
            if code != 250:
                smtp.rset()
                raise refusal(code, answer, "the email")
            return

    @staticmethod
    def _envelope(smtp: smtplib.SMTP, message: Outgoing) -> None:
        """MAIL and RCPT: the server holds nothing yet; whatever fails here, no email was sent."""
        smtp.ehlo_or_helo_if_needed()
        code, answer = smtp.mail(message.sender)
        if code == 421:
            raise smtplib.SMTPServerDisconnected(f"the server closes the session ({code})")
        if code != 250:
            smtp.rset()
            raise Unavailable(f"the SMTP server refused our sender: "
                              f"{describe(smtplib.SMTPResponseException(code, answer))}")
        code, answer = smtp.rcpt(message.to)
        if code == 421:
            raise smtplib.SMTPServerDisconnected(f"the server closes the session ({code})")
        if code not in (250, 251):
            smtp.rset()
            raise refusal(code, answer, "the recipient")

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


# A few sessions per relay and its settings, each with the one thread that uses it: smtplib blocks, and a thread
# keeps the event loop (and the consumer's heartbeats) running. The sessions send a batch's emails together; the
# last one free is taken first, so emails one after the other share one session.
SESSIONS = 4
_pools: dict[tuple, asyncio.LifoQueue] = {}


async def send(message: Outgoing, *, host: str, port: int, username: str | None = None,
               password: str | None = None, starttls: bool = False) -> None:
    settings = (host, port, username, password, starttls)
    if settings not in _pools:
        _pools[settings] = pool = asyncio.LifoQueue()
        for number in range(SESSIONS):
            pool.put_nowait((Connection(*settings), ThreadPoolExecutor(1, thread_name_prefix=f"smtp-{number}")))
    pool = _pools[settings]
    connection, thread = await pool.get()
    try:
        await asyncio.get_running_loop().run_in_executor(thread, _send, connection, message)
    finally:
        pool.put_nowait((connection, thread))


async def close_all() -> None:
    """Say goodbye to every relay (QUIT) when the service stops."""
    loop = asyncio.get_running_loop()
    for pool in list(_pools.values()):
        while not pool.empty():
            connection, thread = pool.get_nowait()
            await loop.run_in_executor(thread, connection.close)
            thread.shutdown()
    _pools.clear()
