"""Loading the scoring policy file (`policy.yaml` beside this module, or POLICY_FILE)."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.triage.model import Policy

DEFAULT_POLICY = Path(__file__).parent / "policy.yaml"


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Policy(**raw)
