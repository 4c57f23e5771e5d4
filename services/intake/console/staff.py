"""The staff console's accounts, on intake's database (INTAKE_DATABASE_URL, else DATABASE_URL, else var/intake.db).

    python -m services.intake.console.staff create --username anne --name "Anne Weber" --role admin
    python -m services.intake.console.staff create ... --password-stdin     # for scripts: the password on one line
    python -m services.intake.console.staff list
    python -m services.intake.console.staff disable --username anne
    python -m services.intake.console.staff erase --application-id ID --by anne [--yes]

Roles: viewer (sees everything), triager (also overrides decisions), admin (the same, and is who runs this).
The password is asked twice at a prompt unless --password-stdin; it needs at least 12 characters.
`erase` erases an applicant's personal data on their request, as the console's erase page does (PRIVACY.md): it
asks for the application id again unless --yes; the running intake publishes the erasure to the other services.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from services.intake import privacy
from services.intake.console.auth import hash_password, password_problem
from services.intake.models import STAFF_ROLES, StaffAccount, StaffSession
from services.runtime import db
from services.runtime.migrations import SchemaOutOfDate, check_current, database_url
from services.runtime.reactions import Tx

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class Refused(Exception):
    """A request this command will not carry out; the message says why."""


async def with_database(work):
    engine = db.make_engine(database_url("intake"))
    try:
        await check_current("intake", engine)
        async with db.sessions(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("The same password again: ") != password:
        raise Refused("the two passwords differ")
    return password


def create(username: str, name: str, role: str, password_from_stdin: bool) -> str:
    if not USERNAME.match(username):
        raise Refused(f"the username {username!r} is not valid: 2 to 64 lower-case letters, digits, '.', '_' or "
                      "'-', starting with a letter or digit")
    if not name.strip() or not name.isprintable():
        raise Refused("the name must be one line of text, e.g. 'Anne Weber'")
    password = read_password(password_from_stdin)
    if problem := password_problem(password):
        raise Refused(problem)

    async def work(session) -> None:
        if await session.get(StaffAccount, username) is not None:
            raise Refused(f"the username {username!r} is taken")
        session.add(StaffAccount(username=username, name=name.strip(), role=role,
                                 password_hash=hash_password(password)))
        try:
            await session.commit()
        except IntegrityError as error:
            await session.rollback()
            if await session.get(StaffAccount, username) is not None:  # created by someone else meanwhile
                raise Refused(f"the username {username!r} is taken") from error
            raise

    asyncio.run(with_database(work))
    return f"Created the {role} account {username!r} ({name.strip()}); they sign in at /console/sign-in."


def listing() -> str:
    async def work(session) -> list[StaffAccount]:
        return list((await session.exec(select(StaffAccount).order_by(col(StaffAccount.username)))).all())

    accounts = asyncio.run(with_database(work))
    if not accounts:
        return "No staff accounts yet: create one with `python -m services.intake.console.staff create`."
    rows = [("username", "name", "role", "state", "created")] + [
        (a.username, a.name, a.role, "active" if a.active else "disabled", f"{db.as_utc(a.created_at):%Y-%m-%d}")
        for a in accounts]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def disable(username: str) -> str:
    async def work(session) -> None:
        account = await session.get(StaffAccount, username)
        if account is None:
            raise Refused(f"there is no account {username!r}")
        account.active = False
        session.add(account)
        await session.exec(delete(StaffSession).where(col(StaffSession.username) == username))
        await session.commit()

    asyncio.run(with_database(work))
    return f"Disabled {username!r}: they can no longer sign in, and their open sessions have ended."


def erase(application_id: str, by: str, confirmed: bool) -> str:
    if not confirmed and input("Erasure cannot be undone. Type the application id again to erase it: ").strip() \
            != application_id:
        raise Refused("the application id typed does not match: nothing was erased")

    async def work(session) -> None:
        if await session.get(StaffAccount, by) is None:
            raise Refused(f"there is no staff account {by!r}: name yourself with --by")
        try:
            await privacy.stage_erasure(Tx("intake", session), application_id, by)
        except privacy.ErasureRefused as refusal:
            raise Refused(str(refusal)) from refusal
        await session.commit()

    asyncio.run(with_database(work))
    return (f"Erased the personal data of application {application_id}; the other services erase theirs as the "
            "erasure reaches them.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.intake.console.staff",
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("create", help="create a staff account")
    new.add_argument("--username", required=True)
    new.add_argument("--name", required=True, help="the person's full name, shown in the console and timeline")
    new.add_argument("--role", required=True, choices=STAFF_ROLES)
    new.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    sub.add_parser("list", help="list the staff accounts")
    off = sub.add_parser("disable", help="stop an account from signing in, and end its sessions")
    off.add_argument("--username", required=True)
    gone = sub.add_parser("erase", help="erase an applicant's personal data, on their request")
    gone.add_argument("--application-id", required=True)
    gone.add_argument("--by", required=True, help="your staff username, recorded with the erasure")
    gone.add_argument("--yes", action="store_true", help="do not ask for the application id again")
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            print(create(args.username, args.name, args.role, args.password_stdin))
        elif args.command == "list":
            print(listing())
        elif args.command == "erase":
            print(erase(args.application_id, args.by, args.yes))
        else:
            print(disable(args.username))
    except (Refused, SchemaOutOfDate) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
