"""What a mail relay's refusal of one email means, by its reply code: our relay settings (an outage), this email
later (a greylisted or full mailbox), or never (an address the relay refuses); named by its codes, never by the
relay's words, which echo the recipient's address."""

from __future__ import annotations

import pytest

from services.notify.mailer import refusal
from services.runtime.dead_letter import PermanentError, TryLater, Unavailable

ADDRESS = b"<anne.weber@moselle-re.example>"


@pytest.mark.parametrize("code, answer, kind", [
    (421, b"4.3.2 Service shutting down", Unavailable),
    (530, b"5.7.0 Authentication required", Unavailable),
    (535, b"5.7.8 Authentication credentials invalid", Unavailable),
    (450, b"4.2.1 " + ADDRESS + b": mailbox busy", TryLater),
    (451, b"4.7.1 " + ADDRESS + b": Recipient address rejected: Greylisted", TryLater),
    (452, b"4.2.2 " + ADDRESS + b": mailbox full", TryLater),
    (550, b"5.1.1 " + ADDRESS + b": Recipient address rejected: User unknown", PermanentError),
    (553, b"5.1.3 " + ADDRESS + b": bad address syntax", PermanentError),
], ids=str)
def test_a_refusal_means_what_its_code_says_and_names_no_address(code, answer, kind):
    error = refusal(code, answer, "the recipient")
    assert type(error) is kind
    assert f"SMTP {code} {answer[:5].decode()}" in str(error)
    assert b"moselle-re" not in str(error).encode()
