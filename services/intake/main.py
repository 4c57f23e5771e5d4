"""intake: the public API, the applicant's pages, the staff console, the partner bridge and the read model.
Run: uvicorn services.intake.main:app --port 8000

Only wiring: the settings, the runtime, the one table of reactions (reactions.py) and the HTTP app; each wing
(applications/, applicant/, console/, partners/, read_model/, journey/) does its own work."""

from __future__ import annotations

from pydantic import Field

from contracts import profile
from services.intake import errors, retention
from services.intake.applicant import export as applicant_export
from services.intake.applicant import pages as applicant_pages
from services.intake.applications import api, dry_run, form, limits
from services.intake.applications.recipients import RecipientCaps
from services.intake.applications.take_in import Door
from services.intake.console import routes as console
from services.intake.partners import bridge, signed_requests
from services.intake.reactions import SERVICE, reactions
from services.intake.web.rendering import mount_static
from services.runtime.partners import own_signing_key, partner_keys
from services.runtime.service import Runtime, build_runtime, http_app
from services.runtime.settings import Settings


class IntakeSettings(Settings):
    # The address applicants see in their status links; by default the factory profile's, else the address they
    # called.
    public_base_url: str | None = profile.selected().identity.public_base_url
    # Limits of the public API (applications/limits.py): largest request body; submissions per minute per
    # client address, with a burst as large (0: no rate limit; each replica keeps its own count).
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    rate_limit_per_minute: int = Field(default=60, ge=0)
    # Caps per recipient (applications/recipients.py): applications in 24 hours for one contact email address and
    # for one email domain, counted in the database (shared by every replica); 0 turns a cap off.
    applications_per_address_per_day: int = Field(default=3, ge=0)
    applications_per_domain_per_day: int = Field(default=30, ge=0)
    # How long an Idempotency-Key (and the form's one-time token) is kept: the same key within this time gets the
    # first answer again (applications/idempotency.py).
    idempotency_key_hours: float = Field(default=24, gt=0)
    # The bearer token of the staff API (POST /v1/simulate, for scripts; the console has its own sign-in); unset,
    # that endpoint answers 503.
    staff_api_token: str | None = None
    # The dry run behind POST /v1/simulate, as 'module:function' (applications/dry_run.py); empty, that endpoint
    # answers 503. Named, not imported: intake's own code imports no other service.
    dry_run_entry_point: str | None = "services.simulation.dry_run:simulate"
    # The partner bridge (partners/): how far a request's timestamp may be from this server's
    # time; a signed request is valid this long, and only once.
    bridge_replay_window_seconds: int = Field(default=300, gt=0)
    # How long a staff member's console session lasts after signing in (a working day); then they sign in again.
    # Fractions are allowed (a test runs sessions of seconds).
    staff_session_minutes: float = Field(default=480, gt=0)


runtime = build_runtime(SERVICE, settings_class=IntakeSettings)
PARTNER_KEYS = partner_keys(runtime.settings)
REACTIONS = reactions(PARTNER_KEYS)
runtime.serve(REACTIONS)
DOOR = Door(RecipientCaps(runtime.settings.applications_per_address_per_day,
                          runtime.settings.applications_per_domain_per_day),
            runtime.settings.idempotency_key_hours)


async def forget_old_bridge_requests(rt: Runtime) -> None:
    rt.spawn(signed_requests.forget_old_requests(rt, rt.settings.bridge_replay_window_seconds),
             name="bridge-requests")
    rt.every(60, lambda: DOOR.forget_expired(rt), name="door-counts")


app = http_app(runtime, title="Aiguillage intake",
               description=f"Applications to the {profile.selected().identity.name}: submit one, follow it. Partner "
                           "factories without Kafka: the bridge under /v1/partners.",
               on_startup=[forget_old_bridge_requests, retention.schedule])
api.install(app, api.router(runtime, runtime.settings.public_base_url, DOOR))
app.include_router(dry_run.router(runtime.settings.staff_api_token, runtime.settings.dry_run_entry_point))
app.include_router(bridge.router(runtime, PARTNER_KEYS, own_signing_key(runtime.settings),
                                 runtime.settings.bridge_replay_window_seconds))
errors.install(app)
limits.install(app, max_body_bytes=runtime.settings.max_body_bytes,
               rate_limit_per_minute=runtime.settings.rate_limit_per_minute, registry=runtime.registry)
mount_static(app)
app.include_router(form.router(runtime, DOOR))
app.include_router(applicant_pages.router(runtime))
app.include_router(applicant_export.router(runtime))
app.include_router(console.router(runtime))
