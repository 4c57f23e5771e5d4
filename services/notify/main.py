"""notify: emails the applicant at each decision and journey milestone, once. Run: uvicorn services.notify.main:app

One email per application and notice kind. The events of one poll are handled in one transaction: their notices
are reserved, their emails sent together over a few SMTP sessions, and those sent are marked, with their
`email-sent` events in the outbox, when the transaction commits; a redelivered decision finds its notice sent and
does nothing. If the process dies (or the database fails) between the SMTP server's answers and that commit, the
emails of that one batch are sent again, with the same Message-IDs, which receiving systems use to drop the
copies: the duplicate window is one batch (at most BATCH_MAX_RECORDS emails), never more.

The applicant is never told what no longer holds: a decision older than the last one notify acted on for the
application (routing numbers them), or a partner's acceptance from before that decision, is dropped, logged and
counted (services/runtime/ordering.py): a dead letter replayed after a staff override changes nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from pydantic import model_validator
from sqlalchemy import update
from sqlmodel import col, select

from contracts import profile
from contracts import reference as reference_data
from contracts.envelope import Envelope, derived_event_id, now
from contracts.events import DecisionMade, EmailSent, JourneyStepRecorded, ReferralUpdated
from contracts.topics import DECISION_MADE, EMAIL_SENT, ERASURE_REQUESTED, JOURNEY_STEP_RECORDED, REFERRAL_UPDATED
from services.notify import caps, mailer, privacy, stop
from services.notify.models import LastDecision, Notice
from services.notify.render import (Email, decision_kind, milestone_of, render_decision,
                                    render_journey_milestone, render_referral_accepted)
from services.runtime import failpoints
from services.runtime.db import as_utc, insert_ignoring_duplicates
from services.runtime.ordering import dropped, is_older
from services.runtime.reactions import Reactions, Tx, on
from services.runtime.service import build_runtime, http_app
from services.runtime.settings import Settings
from services.runtime.telemetry import current_trace_id

SERVICE = "notify"
log = logging.getLogger(__name__)


class NotifySettings(Settings):
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = profile.selected().identity.sender
    # The stop link at the foot of every email (services/notify/stop.py): where notify's /v1/stop/ is public.
    stop_link_base_url: str = "http://127.0.0.1:8003"
    stop_link_secret: str | None = None
    # The caps on emails to one address and to one domain (services/notify/caps.py).
    max_emails_per_address: int = 10
    max_emails_per_domain: int = 500
    email_cap_window_hours: float = 24.0

    @model_validator(mode="after")
    def no_password_in_clear(self) -> "NotifySettings":
        if self.smtp_username and not self.smtp_starttls:
            raise ValueError("SMTP_USERNAME is set but SMTP_STARTTLS is not: the password would cross in clear")
        return self


runtime = build_runtime(SERVICE, settings_class=NotifySettings)
settings: NotifySettings = runtime.settings  # type: ignore[assignment]
reference = reference_data.load()
stop_secret = stop.load_secret(settings.stop_link_secret, settings.var_dir)


async def send_once(tx: Tx, cause: Envelope, application_id: str, notice_kind: str, email: Email) -> None:
    """Email the applicant about `notice_kind` once, however often the event causing it is delivered: the notice
    is reserved in the batch's transaction; the batch's emails are sent together before it commits, and each
    email sent is marked, with its `email-sent` event, in that same commit."""
    message_id = f"<{derived_event_id(application_id, notice_kind)}@aiguillage>"
    reserved = (await tx.exec(insert_ignoring_duplicates(tx.session, Notice).values(
        application_id=application_id, notice_kind=notice_kind, to=email.to, subject=email.subject,
        language=email.language, message_id=message_id).returning(Notice.application_id))).first()
    if reserved is None:
        # Reserved before. Held until the commit: an instance given the same decision by a rebalance waits here,
        # then finds the notice sent (PostgreSQL; on SQLite one writer at a time is the rule anyway).
        notice = (await tx.exec(select(Notice).where(Notice.application_id == application_id)
                                .where(Notice.notice_kind == notice_kind).with_for_update())).one()
        if notice.sent_at is not None or notice.held:
            return  # sent and announced, or held, before: a redelivery
    else:
        notice = Notice(application_id=application_id, notice_kind=notice_kind, to=email.to, subject=email.subject,
                        language=email.language, message_id=message_id)
    held = await caps.why_held(tx.session, email.to, stop.address_key(stop_secret, email.to),
                               per_address=settings.max_emails_per_address, per_domain=settings.max_emails_per_domain,
                               window=timedelta(hours=settings.email_cap_window_hours))
    if held:
        log.warning("application %s: the %s email is held (%s)", application_id, notice_kind, held)
        await tx.exec(update(Notice).where(col(Notice.application_id) == application_id)
                      .where(col(Notice.notice_kind) == notice_kind).values(held=held))
        return
    if await caps.sent_to_before(tx.session, email.to):
        email = email.naming_the_project()
    stop_url = stop.url(settings.stop_link_base_url, stop_secret, email.to, email.language)
    email = email.with_stop_link(stop_url)
    sent_at = now()
    headers = {"X-Application-Id": application_id, "X-Notice-Kind": notice_kind,
               "X-Trace-Id": current_trace_id() or "", "List-Unsubscribe": f"<{stop_url}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    outgoing = mailer.build_message(email, sender=settings.mail_from, message_id=notice.message_id, headers=headers)

    async def deliver() -> None:
        await mailer.send(outgoing, host=settings.smtp_host, port=settings.smtp_port,
                          username=settings.smtp_username, password=settings.smtp_password,
                          starttls=settings.smtp_starttls)
        failpoints.reach("notify.after-smtp")
        tx.execute_later(update(Notice).where(col(Notice.application_id) == application_id)
                         .where(col(Notice.notice_kind) == notice_kind).values(sent_at=sent_at))
        tx.announce(cause, EMAIL_SENT, EmailSent(
            application_id=application_id, notice_kind=notice_kind, to=notice.to, language=notice.language,
            subject=notice.subject, message_id=notice.message_id, sent_at=sent_at, body=email.body))

    tx.before_commit(deliver)


async def is_newest(tx: Tx, envelope: Envelope[DecisionMade]) -> bool:
    """Whether the decision is not older than the last one notify acted on for its application (then it is the
    last one now): one statement for an application's first decision, two for the next ones. The row written is
    held until the commit, so two instances given the decision by a rebalance take turns."""
    decision = envelope.data
    values = {"sequence": decision.sequence, "decided_at": envelope.time}
    table = LastDecision.__table__  # Core statements: no object to track in the session
    first = insert_ignoring_duplicates(tx.session, table).values(  # type: ignore[arg-type]
        application_id=decision.application_id, **values)
    if (await tx.exec(first.returning(table.c.application_id))).first():
        return True
    # Not older (DecisionMade.is_older_than): the same number is the same decision again.
    newer = (update(table).where(table.c.application_id == decision.application_id)
             .where(table.c.sequence <= decision.sequence).values(**values).returning(table.c.application_id))
    if (await tx.exec(newer)).first():
        return True
    dropped(SERVICE, envelope, "a decision numbered higher was acted on")
    return False


async def when_decision_made(tx: Tx, envelope: Envelope[DecisionMade]) -> None:
    """The applicant hears of a decision once, and never of one older than a decision they heard of. On an offer
    from a partner's instance, only of an acceptance: the factory that offered it tells them the rest."""
    decision = envelope.data
    if not await is_newest(tx, envelope):
        return
    if decision.answers_offer_of and decision.outcome != "accept_local":
        log.info("decision %s on application %s answers the offer of %s: that factory tells the applicant",
                 decision.outcome, decision.application_id, decision.answers_offer_of)
        return
    await send_once(tx, envelope, decision.application_id, decision_kind(decision),
                    render_decision(decision, reference))


async def when_referral_updated(tx: Tx, envelope: Envelope[ReferralUpdated]) -> None:
    """A partner's acceptance, unless a decision came after it (a staff override): then it is old news."""
    step = envelope.data
    last = await tx.get(LastDecision, step.application_id)
    if is_older(SERVICE, envelope, as_utc(last.decided_at) if last and last.decided_at else None, "a decision"):
        return
    await send_once(tx, envelope, step.application_id, f"referral-accepted:{step.factory_id}",
                    render_referral_accepted(step, reference))


async def when_journey_step_recorded(tx: Tx, envelope: Envelope[JourneyStepRecorded]) -> None:
    """One email per application and milestone reached (training, poc, completed); a milestone reached again
    after a correction is not announced twice."""
    step = envelope.data
    await send_once(tx, envelope, step.application_id, f"journey:{milestone_of(step)}",
                    render_journey_milestone(step, reference))


REACTIONS = Reactions(SERVICE, (
    on(DECISION_MADE, SERVICE, when_decision_made),
    on(REFERRAL_UPDATED, f"{SERVICE}.referrals", when_referral_updated,
       relevant=lambda envelope: envelope.data.step == "accepted"),
    on(JOURNEY_STEP_RECORDED, f"{SERVICE}.journey", when_journey_step_recorded,
       relevant=lambda envelope: milestone_of(envelope.data) is not None),
    on(ERASURE_REQUESTED, f"{SERVICE}.privacy", privacy.when_erasure_requested),
))
runtime.serve(REACTIONS)


async def _close_mail_sessions(_runtime) -> None:
    await mailer.close_all()


app = http_app(runtime, title="Aiguillage notify", description="Emails to applicants, in their language.",
               on_shutdown=[_close_mail_sessions])
app.include_router(stop.router(runtime.sessions, stop_secret))
