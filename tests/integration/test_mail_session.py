"""notify's SMTP session against a real SMTP server (aiosmtpd, as `make run` starts): emails share one session,
and a session the server dropped, or a server away for a while, costs no email."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from infra.localnet import free_port
from infra.mailbox import SaveToFolder, read_mailbox
from services.notify import mailer
from services.notify.render import Email
from services.runtime.dead_letter import Unavailable


class CountingMailbox(SaveToFolder):
    """The local mailbox, also counting the SMTP sessions that greeted it (EHLO)."""

    sessions = 0

    async def handle_EHLO(self, _server, session, _envelope, hostname: str, responses: list[str]) -> list[str]:
        CountingMailbox.sessions += 1
        session.host_name = hostname
        return responses


def serve(folder: Path, port: int) -> Controller:
    controller = Controller(CountingMailbox(folder), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def email(number: int):
    return mailer.build_message(
        Email(to=f"anne.weber+{number}@moselle-re.example", subject=f"Votre projet n°{number}", body="Bonjour",
              language="fr"),
        sender="l-aif@aiguillage.example", message_id=f"<{uuid.uuid4()}@aiguillage>", headers={})


@pytest.fixture
async def mailbox(tmp_path):
    CountingMailbox.sessions = 0
    port = free_port()
    controllers = [serve(tmp_path, port)]
    yield tmp_path, port, controllers
    await mailer.close_all()
    for controller in controllers:
        try:
            controller.stop()
        except AssertionError:  # stopped by the test already
            pass


async def send(port: int, number: int) -> None:
    await mailer.send(email(number), host="127.0.0.1", port=port)


def subjects(folder: Path) -> list[str]:
    return [m["Subject"] for m in read_mailbox(folder)]


async def test_emails_in_a_row_share_one_smtp_session(mailbox):
    folder, port, _ = mailbox
    for number in range(3):
        await send(port, number)
    await mailer.close_all()
    assert subjects(folder) == ["Votre projet n°0", "Votre projet n°1", "Votre projet n°2"]
    assert CountingMailbox.sessions == 1


async def test_a_session_the_server_dropped_is_replaced_and_no_email_is_lost(mailbox):
    folder, port, controllers = mailbox
    await send(port, 1)
    controllers[0].stop()  # the server restarts: the kept session is dead, and notify cannot know it yet
    controllers.append(serve(folder, port))
    await send(port, 2)
    await mailer.close_all()
    assert subjects(folder) == ["Votre projet n°1", "Votre projet n°2"]
    assert CountingMailbox.sessions == 2


async def test_a_server_away_is_an_outage_and_sending_resumes_when_it_is_back(mailbox):
    folder, port, controllers = mailbox
    await send(port, 1)
    controllers[0].stop()
    with pytest.raises((Unavailable, OSError)):  # retried later by the outage rule, never a dead letter
        await send(port, 2)
    controllers.append(serve(folder, port))
    await send(port, 2)
    await mailer.close_all()
    assert subjects(folder) == ["Votre projet n°1", "Votre projet n°2"]
