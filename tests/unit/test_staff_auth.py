"""The staff console's rules of who may come in: Argon2id passwords of at least 12 characters, sessions that
end, CSRF tokens bound to one session, and a return address after sign-in that stays on this site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from services.intake.console import auth

ANNE = "moselle-fraud-2026"  # Anne Weber's password: 18 characters


def test_a_password_is_kept_as_an_argon2id_hash_that_only_it_matches():
    # Given Anne's password, hashed
    stored = auth.hash_password(ANNE)

    # Then the hash is Argon2id and does not contain the password
    assert stored.startswith("$argon2id$") and ANNE not in stored
    # And the password matches it, with no rehash needed; another one does not
    assert auth.check_password(stored, ANNE) == (True, None)
    assert auth.check_password(stored, "moselle-fraud-2027") == (False, None)


def test_a_hash_made_with_weaker_parameters_is_replaced_at_the_next_sign_in():
    # Given a hash from the days of lighter Argon2 parameters
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(ANNE)

    # When Anne signs in with her password
    matches, new_hash = auth.check_password(old, ANNE)

    # Then she is let in, and a hash with today's parameters is given to store
    assert matches and new_hash is not None and new_hash != old
    assert auth.check_password(new_hash, ANNE) == (True, None)


def test_an_unknown_user_is_refused_like_a_wrong_password():
    assert auth.check_password(None, ANNE) == (False, None)


@pytest.mark.parametrize("password, problem", [
    ("", "the password must have at least 12 characters"),
    ("eleven-char", "the password must have at least 12 characters"),
    ("twelve-chars", None),
    (ANNE, None),
])
def test_a_new_password_needs_at_least_12_characters(password, problem):
    assert auth.password_problem(password) == problem


def test_the_csrf_token_belongs_to_one_session():
    # Given two sessions
    anne, luc = auth.new_secret(), auth.new_secret()

    # Then each session's token is accepted for it alone
    assert auth.csrf_valid(anne, auth.csrf_token(anne))
    assert not auth.csrf_valid(luc, auth.csrf_token(anne))
    # And the token is neither the session id nor what the database keeps of it
    assert auth.csrf_token(anne) not in (anne, auth.session_id_hash(anne))


@pytest.mark.parametrize("token", [None, "", "0" * 64, "é" * 64])
def test_a_missing_or_wrong_csrf_token_is_refused(token):
    assert not auth.csrf_valid(auth.new_secret(), token)


def test_without_a_session_no_token_is_valid():
    assert not auth.csrf_valid(None, auth.csrf_token(""))


def test_the_database_keeps_only_a_hash_of_the_session_id():
    session_id = auth.new_secret()
    assert auth.session_id_hash(session_id) == auth.session_id_hash(session_id)
    assert session_id not in auth.session_id_hash(session_id)
    assert len(session_id) >= 43  # 32 random bytes


def test_a_session_ends_at_its_expiry_time():
    signed_in = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    ends = signed_in + timedelta(minutes=480)
    assert not auth.expired(ends, signed_in)
    assert not auth.expired(ends, ends - timedelta(seconds=1))
    assert auth.expired(ends, ends)
    assert auth.expired(ends.replace(tzinfo=None), ends + timedelta(seconds=1))  # as SQLite gives it back


@pytest.mark.parametrize("target, goes_to", [
    ("/console/applications/moselle-re?override=sent", "/console/applications/moselle-re?override=sent"),
    ("/console/indicators", "/console/indicators"),
    (None, "/console"),
    ("", "/console"),
    ("https://phish.example/console", "/console"),
    ("//phish.example/console", "/console"),
    ("/\\phish.example", "/console"),
    ("console", "/console"),
    ("/console\r\nSet-Cookie: x=1", "/console"),
])
def test_after_sign_in_the_browser_returns_only_to_a_page_of_this_site(target, goes_to):
    assert auth.local_path(target) == goes_to


def test_only_triagers_and_admins_may_override():
    def staff(role: str) -> auth.Staff:
        return auth.Staff("anne", "Anne Weber", role, auth.new_secret())

    assert [staff(role).may_override for role in ("viewer", "triager", "admin")] == [False, True, True]
