"""triage: scores each submitted application and publishes the scores. Run: uvicorn services.triage.main:app"""

from __future__ import annotations

from pathlib import Path

from contracts import reference as reference_data
from contracts.envelope import Envelope
from contracts.events import ApplicationSubmitted
from contracts.topics import APPLICATION_SCORED, APPLICATION_SUBMITTED, ERASURE_REQUESTED
from services.runtime import privacy
from services.runtime.reactions import Reactions, Tx, on
from services.runtime.service import build_runtime, http_app
from services.triage import classify
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import DEFAULT_POLICY, load_policy
from services.runtime.settings import Settings

SERVICE = "triage"


class TriageSettings(Settings):
    # The scoring policy; another file (e.g. one with `classifier.layers: lexical`, no model) through POLICY_FILE.
    policy_file: Path = DEFAULT_POLICY


runtime = build_runtime(SERVICE, settings_class=TriageSettings)
reference = reference_data.load()
policy = load_policy(runtime.settings.policy_file)  # type: ignore[attr-defined]
layers = classify.Layers(policy)


async def when_application_submitted(tx: Tx, envelope: Envelope[ApplicationSubmitted]) -> None:
    tx.announce(envelope, APPLICATION_SCORED,
                when_application_submitted_score_it(envelope.data, reference, policy, layers.semantic))


REACTIONS = Reactions(SERVICE, (
    on(APPLICATION_SUBMITTED, SERVICE, when_application_submitted),
    on(ERASURE_REQUESTED, f"{SERVICE}.privacy", privacy.when_erasure_requested),
))
runtime.serve(REACTIONS)


app = http_app(runtime, title="Aiguillage triage", description="Sector classification and scoring.",
               preflight={"classifier": layers.load})
