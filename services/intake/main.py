"""intake: the public API and the read model. Run: uvicorn services.intake.main:app --port 8000"""

from __future__ import annotations

from pydantic import Field

from contracts import reference
from contracts.envelope import Envelope
from contracts.events import (
    ApplicationScored, DecisionMade, EmailSent, JourneyStepRecorded, ReferralIncoming, ReferralOffered,
    ReferralUpdated,
)
from contracts.topics import (
    APPLICATION_SCORED, DECISION_MADE, EMAIL_SENT, JOURNEY_STEP_RECORDED, REFERRAL_UPDATED, REFERRALS_INCOMING,
    referrals_to,
)
from services.intake import api, bridge, incoming, limits, read_model, web
from services.runtime.broker import subscribe
from services.runtime.partners import PartnerKeys
from services.runtime.service import Runtime, build_runtime, http_app
from services.runtime.settings import Settings

SERVICE = "intake"


class IntakeSettings(Settings):
    # The address applicants see in their status links; by default the address they called.
    public_base_url: str | None = None
    # Limits of the public API (services/intake/limits.py): largest request body; submissions per minute per
    # client address, with a burst as large (0: no rate limit; each replica keeps its own count).
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    rate_limit_per_minute: int = Field(default=60, ge=0)
    # The bearer token of the staff API (POST /v1/simulate, for scripts; the console has its own sign-in); unset,
    # that endpoint answers 503.
    staff_api_token: str | None = None
    # The partner bridge (services/intake/bridge.py): how far a request's timestamp may be from this server's
    # time; a signed request is valid this long, and only once.
    bridge_replay_window_seconds: int = Field(default=300, gt=0)
    # How long a staff member's console session lasts after signing in (a working day); then they sign in again.
    # Fractions are allowed (a test runs sessions of seconds).
    staff_session_minutes: float = Field(default=480, gt=0)


runtime = build_runtime(SERVICE, settings_class=IntakeSettings)
partner_keys = PartnerKeys.load(runtime.settings.partner_keys_path())


@subscribe(runtime.broker, REFERRALS_INCOMING, group_id=f"{SERVICE}.incoming-referrals", partner_keys=partner_keys)
async def on_referral_incoming(envelope: Envelope[ReferralIncoming]) -> None:
    """A partner factory refers a project to Luxembourg (signed by that partner, checked before this runs)."""
    await runtime.process_once(envelope, incoming.when_referral_incoming(envelope, runtime.emit))


@subscribe(runtime.broker, [referrals_to(factory.id) for factory in reference.load().partners], group_id=bridge.GROUP)
async def on_referral_offered(envelope: Envelope[ReferralOffered]) -> None:
    """An offer to a partner factory, kept for the partner to fetch over the bridge if it has no Kafka."""
    await runtime.process_once(envelope, bridge.when_offered(envelope))


@subscribe(runtime.broker, APPLICATION_SCORED, group_id=f"{SERVICE}.read-model.scored")
async def on_application_scored(envelope: Envelope[ApplicationScored]) -> None:
    await runtime.process_once(envelope, read_model.when_application_scored(envelope))


@subscribe(runtime.broker, DECISION_MADE, group_id=f"{SERVICE}.read-model.decisions")
async def on_decision_made(envelope: Envelope[DecisionMade]) -> None:
    await runtime.process_once(envelope, read_model.when_decision_made(envelope))


@subscribe(runtime.broker, REFERRAL_UPDATED, group_id=f"{SERVICE}.read-model.referrals")
async def on_referral_updated(envelope: Envelope[ReferralUpdated]) -> None:
    await runtime.process_once(envelope, read_model.when_referral_updated(envelope))


@subscribe(runtime.broker, EMAIL_SENT, group_id=f"{SERVICE}.read-model.emails")
async def on_email_sent(envelope: Envelope[EmailSent]) -> None:
    await runtime.process_once(envelope, read_model.when_email_sent(envelope))


@subscribe(runtime.broker, JOURNEY_STEP_RECORDED, group_id=f"{SERVICE}.read-model.journey")
async def on_journey_step_recorded(envelope: Envelope[JourneyStepRecorded]) -> None:
    """intake's own journey records, read back (found already, or written anew into a rebuilt database)."""
    await runtime.process_once(envelope, read_model.when_journey_step_recorded(envelope))


async def forget_old_bridge_requests(rt: Runtime) -> None:
    rt.spawn(bridge.forget_old_requests(rt.sessions, rt.settings.bridge_replay_window_seconds),
             name="bridge-requests")


app = http_app(runtime, title="Aiguillage intake",
               description="Applications to the Luxembourg AI Factory: submit one, follow it. Partner factories "
                           "without Kafka: the bridge under /v1/partners.",
               on_startup=[forget_old_bridge_requests])
api.install(app, api.router(runtime, runtime.settings.public_base_url, runtime.settings.staff_api_token))
app.include_router(bridge.router(runtime, partner_keys, runtime.settings.bridge_replay_window_seconds))
limits.install(app, max_body_bytes=runtime.settings.max_body_bytes,
               rate_limit_per_minute=runtime.settings.rate_limit_per_minute, registry=runtime.registry)
web.install(app, runtime)
