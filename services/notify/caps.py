"""Whether an email may go: the last guard of notify against being used as an open mailer.

The public form lets anyone name any address as the contact. Intake caps the submissions per address and per
domain at the door; notify holds, whatever the way in (the form, the API, a partner's referral):
- every email to an address that asked to stop (services/notify/stop.py);
- emails beyond MAX_EMAILS_PER_ADDRESS in EMAIL_CAP_WINDOW_HOURS to one address, and beyond
  MAX_EMAILS_PER_DOMAIN in that window to one domain (0: no cap).
A held email is not sent, ever: its notice keeps why (`held`) and nothing is announced, so the applicant's status
page shows no email for it (the decision itself is there). The counts are of emails sent before this batch: a
batch can pass a cap by at most its own size.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, select

from contracts.envelope import now
from services.notify.models import Notice, StoppedAddress

STOPPED, ADDRESS_CAP, DOMAIN_CAP = "stopped", "address cap", "domain cap"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


async def sent_to_before(session, address: str) -> bool:
    """Whether an email was sent to `address` before: only then may an email carry the sender's words."""
    return (await session.exec(select(Notice.application_id).where(_to() == address.strip().lower())
                               .where(col(Notice.sent_at).is_not(None)).limit(1))).first() is not None


def _to():
    """The recipient column as compared: one address, however its case is spelt."""
    return func.lower(col(Notice.to))


async def why_held(session, address: str, address_key: str, *, per_address: int, per_domain: int,
                   window: timedelta) -> str | None:
    """Why an email to `address` must not go (STOPPED, ADDRESS_CAP, DOMAIN_CAP), or None: it may."""
    if await session.get(StoppedAddress, address_key) is not None:
        return STOPPED
    since = now() - window
    recent = select(func.count()).select_from(Notice).where(col(Notice.sent_at) >= since)
    if per_address and (await session.exec(recent.where(_to() == address.strip().lower()))).one() >= per_address:
        return ADDRESS_CAP
    if per_domain and (await session.exec(recent.where(_to().like(f"%@{domain_of(address)}")))).one() >= per_domain:
        return DOMAIN_CAP
    return None
