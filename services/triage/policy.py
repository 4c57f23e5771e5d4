"""Loading the scoring policy file (the factory profile's `triage/policy.yaml`, or POLICY_FILE), checked field by
field.

A policy with `keywords` is of the keyword era (up to triage-2026.11.3, kept in the profile's `triage/policies/` for
dry runs that
compare); one with `classifier` runs the layered classifier. The file holds the fields of `Policy` and its
`classifier:` those of `Classifier` (services/triage/model.py says what each one does), with their defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from contracts import profile
from contracts.config_files import load_yaml, model_of
from services.triage.model import Classifier, Policy

DEFAULT_POLICY = profile.selected().file("triage_policy")

ClassifierFile = model_of(Classifier, layers=Literal["lexical", "semantic", "both"])
PolicyFile = model_of(Policy, classifier=ClassifierFile | None)


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    """The policy in `path`; a file of the wrong shape raises ConfigFileError naming the file, the key and the
    type it expected."""
    policy = load_yaml(Path(path), PolicyFile)
    classifier = Classifier(**dict(policy.classifier)) if policy.classifier else None
    return Policy(**{**dict(policy), "classifier": classifier})
