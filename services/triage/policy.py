"""Loading the scoring policy file (`policy.yaml` beside this module, or POLICY_FILE), checked field by field.

A policy with `keywords` is of the keyword era (up to triage-2026.11.3, kept in `policies/` for dry runs that
compare); one with `classifier` runs the layered classifier.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from services.triage.model import Policy

DEFAULT_POLICY = Path(__file__).parent / "policy.yaml"
_POLICY = TypeAdapter(Policy)


class PolicyError(ValueError):
    """The policy file is not a valid policy; the message names each wrong field."""


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    try:
        return _POLICY.validate_python(raw, strict=False)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise PolicyError(f"{path}: {problems}") from None
