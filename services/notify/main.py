"""notify: emails the applicant at each decision and journey milestone, once. Run: uvicorn services.notify.main:app

One email per application and notice kind: the notice is recorded before sending, and marked sent after, in the
transaction that stages its `email-sent` event in the outbox; a redelivered decision finds it sent and does
nothing. If the process dies between the SMTP server's answer and the mark, the email is sent again with the
same Message-ID, which receiving systems use to drop the copy.
"""

from __future__ import annotations

from pydantic import model_validator
from sqlmodel import select

from contracts import reference as reference_data
from contracts.envelope import Envelope, derived_event_id, now
from contracts.events import DecisionMade, EmailSent, JourneyStepRecorded, ReferralUpdated
from contracts.topics import DECISION_MADE, EMAIL_SENT, JOURNEY_STEP_RECORDED, REFERRAL_UPDATED
from services.notify import mailer
from services.notify.models import Notice
from services.notify.render import (Email, decision_kind, milestone_of, render_decision,
                                    render_journey_milestone, render_referral_accepted)
from services.runtime.broker import subscribe
from services.runtime.db import insert_ignoring_duplicates
from services.runtime.messages import caused_by
from services.runtime.service import build_runtime, http_app
from services.runtime.settings import Settings
from services.runtime.telemetry import current_trace_id

SERVICE = "notify"


class NotifySettings(Settings):
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Luxembourg AI Factory <one-stop-shop@aifactory.lu>"

    @model_validator(mode="after")
    def no_password_in_clear(self) -> "NotifySettings":
        if self.smtp_username and not self.smtp_starttls:
            raise ValueError("SMTP_USERNAME is set but SMTP_STARTTLS is not: the password would cross in clear")
        return self


runtime = build_runtime(SERVICE, settings_class=NotifySettings)
settings: NotifySettings = runtime.settings  # type: ignore[assignment]
reference = reference_data.load()


async def send_once(envelope: Envelope, application_id: str, notice_kind: str, email: Email) -> None:
    """Email the applicant about `notice_kind` once, however often the event causing it is delivered."""
    async with runtime.sessions() as session:
        await session.exec(insert_ignoring_duplicates(session, Notice).values(  # type: ignore[call-overload]
            application_id=application_id, notice_kind=notice_kind, to=email.to, subject=email.subject,
            language=email.language, message_id=f"<{derived_event_id(application_id, notice_kind)}@aiguillage>"))
        await session.commit()
        # Held until the mark commits: an instance given the same decision by a rebalance waits here, then
        # finds the notice sent (PostgreSQL; on SQLite one writer at a time is the rule anyway).
        notice = (await session.exec(select(Notice).where(Notice.application_id == application_id)
                                     .where(Notice.notice_kind == notice_kind).with_for_update())).one()
        if notice.sent_at is not None:
            return  # sent and announced before: a redelivery
        headers = {"X-Application-Id": application_id, "X-Notice-Kind": notice_kind,
                   "X-Trace-Id": current_trace_id() or ""}
        await mailer.send(
            mailer.build_message(email, sender=settings.mail_from, message_id=notice.message_id, headers=headers),
            host=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_username,
            password=settings.smtp_password, starttls=settings.smtp_starttls,
        )
        # The mark and its announcement commit together.
        notice.sent_at = now()
        session.add(notice)
        sent = EmailSent(application_id=application_id, notice_kind=notice_kind, to=notice.to,
                         language=notice.language, subject=notice.subject, message_id=notice.message_id,
                         sent_at=notice.sent_at)
        runtime.emit(session, EMAIL_SENT, caused_by(envelope, EMAIL_SENT, sent, service=SERVICE))
        await session.commit()
    runtime.relay.wake()


@subscribe(runtime.broker, DECISION_MADE, group_id=SERVICE)
async def on_decision_made(envelope: Envelope[DecisionMade]) -> None:
    decision = envelope.data
    await send_once(envelope, decision.application_id, decision_kind(decision), render_decision(decision, reference))


@subscribe(runtime.broker, REFERRAL_UPDATED, group_id=f"{SERVICE}.referrals")
async def on_referral_updated(envelope: Envelope[ReferralUpdated]) -> None:
    step = envelope.data
    if step.step == "accepted":
        await send_once(envelope, step.application_id, f"referral-accepted:{step.factory_id}",
                        render_referral_accepted(step, reference))


@subscribe(runtime.broker, JOURNEY_STEP_RECORDED, group_id=f"{SERVICE}.journey")
async def on_journey_step_recorded(envelope: Envelope[JourneyStepRecorded]) -> None:
    """One email per application and milestone reached (training, poc, completed); a milestone reached again
    after a correction is not announced twice."""
    step = envelope.data
    milestone = milestone_of(step)
    if milestone is not None:
        await send_once(envelope, step.application_id, f"journey:{milestone}",
                        render_journey_milestone(step, reference))


async def _close_mail_sessions(_runtime) -> None:
    await mailer.close_all()


app = http_app(runtime, title="Aiguillage notify", description="Emails to applicants, in their language.",
               on_shutdown=[_close_mail_sessions])
