"""Caps per recipient at the door: the public form makes the factory's address write to whatever address a stranger
types, so submissions are counted per contact email address and per email domain over a sliding day
(APPLICATIONS_PER_ADDRESS_PER_DAY, 3; APPLICATIONS_PER_DOMAIN_PER_DAY, 30; 0 turns one off), in intake's database
(counters.py: shared by every replica), in the transaction that takes the application in. Past a cap, the
submission is refused (429, naming `contact.email`) and nothing is stored, counted or sent. An address counts
without its `+tag` (name+1@ and name+2@ reach one mailbox), and case does not matter. Only hashes of the
address and the domain are kept, never the address.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.applications.counters import Limit, add_one, fingerprint
from services.runtime.reactions import Tx

FIELD = "contact.email"
DAY = 24 * 60 * 60


@dataclass(frozen=True)
class RecipientCaps:
    per_address: int
    per_domain: int

    def limits(self, email: str) -> list[tuple[str, Limit, str]]:
        """(counter key, limit, what it counts) for each cap in force on `email`."""
        local, _, domain = email.strip().lower().rpartition("@")
        address = f"{local.partition('+')[0]}@{domain}"  # name+tag@domain reaches name@domain's mailbox
        caps = [(f"recipient:{fingerprint(address)}", Limit(self.per_address, DAY), "this email address"),
                (f"domain:{fingerprint(domain)}", Limit(self.per_domain, DAY), f"email addresses at {domain}")]
        return [cap for cap in caps if cap[1].enabled]


class RecipientCapped(Exception):
    """Too many applications for one address or domain today."""

    def __init__(self, whom: str, limit: Limit, retry_after: int) -> None:
        super().__init__(f"{FIELD}: too many applications for {whom}: at most {limit.count} in 24 hours. "
                         f"Try again in {retry_after} s.")
        self.limit, self.retry_after = limit, retry_after


async def count(tx: Tx, caps: RecipientCaps, email: str) -> None:
    """Count one application for `email` in the caller's transaction; `RecipientCapped` past a cap (the caller's
    transaction then rolls back, and the refused one is not counted)."""
    for key, limit, whom in caps.limits(email):
        counted = await add_one(tx.session, key, limit)
        if not counted.within:
            raise RecipientCapped(whom, limit, counted.retry_after)
