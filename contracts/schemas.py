"""JSON Schema snapshots of every topic's envelope, and the rule that keeps readers of a snapshot working.

`python -m contracts.schemas` (or `make schemas`) writes the snapshots to `contracts/schemas/`. A change is
backward compatible for readers when it only adds optional fields or loosens nothing a reader relies on:
no field removed or retyped, no field newly required, no new value in a closed list.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from contracts.envelope import Envelope
from contracts.topics import PUBLISHED, Topic

SNAPSHOT_DIR = Path(__file__).parent / "schemas"
# Keys that document a schema without changing what validates.
_ANNOTATIONS = {"title", "description", "default", "examples"}
# Keys a producer may tighten without breaking readers; checked separately for closed lists.
_CONSTRAINTS = {"minLength", "maxLength", "pattern", "minimum", "maximum", "minItems", "maxItems", "format", "enum", "const"}


def envelope_schema(topic: Topic) -> dict:
    schema = Envelope[topic.payload].model_json_schema()
    schema["title"] = f"{topic.name} ({topic.event_type})"
    return schema


def snapshot_path(topic: Topic, directory: Path = SNAPSHOT_DIR) -> Path:
    return directory / f"{topic.name}.json"


def export(directory: Path = SNAPSHOT_DIR) -> list[Path]:
    """Write every snapshot; refuse (writing nothing) when the code would break a reader of the existing one.
    A breaking change needs a new topic version (`.v2`), never an edit of `.v1`."""
    directory.mkdir(parents=True, exist_ok=True)
    problems = [f"{topic.name}: {problem}" for topic in PUBLISHED if snapshot_path(topic, directory).exists()
                for problem in breaking_changes(json.loads(snapshot_path(topic, directory).read_text()),
                                                envelope_schema(topic))]
    if problems:
        raise SystemExit("refusing to rewrite the snapshots, readers would break:\n  " + "\n  ".join(problems))
    written = []
    for topic in PUBLISHED:
        path = snapshot_path(topic, directory)
        path.write_text(json.dumps(envelope_schema(topic), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _shape(schema: dict) -> object:
    """What a property's schema says about its type, without documentation or tightenable constraints."""
    if isinstance(schema, dict):
        return {k: _shape(v) for k, v in schema.items() if k not in _ANNOTATIONS | _CONSTRAINTS}
    if isinstance(schema, list):
        return [_shape(v) for v in schema]
    return schema


def _closed_values(schema: dict) -> set | None:
    if "enum" in schema:
        return set(schema["enum"])
    if "const" in schema:
        return {schema["const"]}
    return None


def _compare_object(where: str, old: dict, new: dict) -> list[str]:
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}.{name}: field removed")
            continue
        if _shape(old_prop) != _shape(new_props[name]):
            problems.append(f"{where}.{name}: type changed")
        old_values, new_values = _closed_values(old_prop), _closed_values(new_props[name])
        if old_values is not None and new_values is not None and new_values - old_values:
            problems.append(f"{where}.{name}: new values {sorted(new_values - old_values)} unknown to readers")
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"{where}.{name}: field became required")
    return problems


def breaking_changes(old: dict, new: dict) -> list[str]:
    """Every way in which `new` would break a reader written against `old`."""
    problems = _compare_object("envelope", old, new)
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    for name, old_def in old_defs.items():
        if name not in new_defs:
            problems.append(f"{name}: definition removed")
            continue
        problems += _compare_object(name, old_def, new_defs[name])
        old_values, new_values = _closed_values(old_def), _closed_values(new_defs[name])
        if old_values is not None and new_values is not None and new_values - old_values:
            problems.append(f"{name}: new values {sorted(new_values - old_values)} unknown to readers")
    return problems


if __name__ == "__main__":
    for written in export(Path(sys.argv[1]) if len(sys.argv) > 1 else SNAPSHOT_DIR):
        print(f"wrote {written}")
