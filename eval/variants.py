"""The variants of triage the evaluation compares, each run through the real handlers of triage and routing.

- `keywords`: the keyword classifier of triage-2026.11.3 (the figures before this classifier);
- `lexical`, `semantic`: one layer of the layered classifier alone;
- `combined`: both layers as the policy combines them (what triage runs: the model only where the vocabulary is
  unsure or a military cue needs checking);
- `combined-always`: both layers with the model asked for every application (what that would cost and give);
- `semantic-use`, `combined-use`: the same with Google's multilingual Universal Sentence Encoder instead of e5
  (only where its wheel is installed: the comparison behind the choice of model).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

from contracts import profile, reference
from eval.cases import Case
from eval.measure import Result, decide_all
from services.routing.handlers import load_policy as routing_policy, when_application_scored_decide_route
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy as triage_policy

KEYWORD_POLICY = profile.selected().file("earlier_triage_policies") / "triage-2026.11.3.yaml"
VARIANTS = ("keywords", "lexical", "semantic", "combined", "combined-always", "semantic-use", "combined-use")
DEFAULT = ("keywords", "lexical", "semantic", "combined", "combined-always")
LAYERS = {"lexical": "lexical", "semantic": "semantic", "combined": "both", "combined-always": "both",
          "semantic-use": "semantic", "combined-use": "both"}


@lru_cache(maxsize=2)
def _semantic(encoder: str):
    from services.triage import semantic

    return semantic.layer(encoder)


def run_variant(name: str, cases: list[Case]) -> list[Result]:
    ref, routing = reference.load(), routing_policy()
    if name == "keywords":
        triage, model = triage_policy(KEYWORD_POLICY), None
    else:
        triage = triage_policy()
        settings = dataclasses.replace(triage.classifier, layers=LAYERS[name])
        if name == "combined-always":  # the model asked for every application, however sure the vocabulary is
            settings = dataclasses.replace(settings, confident_min=10**6)
        triage = dataclasses.replace(triage, classifier=settings)
        model = None if name == "lexical" else _semantic("use" if name.endswith("-use") else "e5")
    return decide_all(cases, lambda submitted: when_application_submitted_score_it(submitted, ref, triage, model),
                      lambda scored: when_application_scored_decide_route(scored, ref, routing))
