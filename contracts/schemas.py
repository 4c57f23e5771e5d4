"""JSON Schema snapshots of every topic's envelope, and the rule that keeps readers of a snapshot working.

`python -m contracts.schemas` (or `make schemas`) writes the snapshots to `contracts/schemas/`. A snapshot binds
both sides of a topic: readers written against it (partners, a service not yet upgraded) get what the code now
writes, and the code reads what was written against it (partners' messages, and every retained message a replay
or a rebuild reads again). So a change is compatible when it only adds optional fields: nothing loosened that a
reader relies on (no field removed, no new value in a closed list, no length, bound, pattern or format relaxed
or dropped) and nothing tightened that a writer relied on (no field newly required or retyped, no value taken
out of a closed list, no length or bound narrowed, no pattern or format added or changed).
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
# Keys that constrain a value; each is compared on its own (bounds, patterns and formats, closed lists).
_UPPER_BOUNDS = {"maxLength", "maxItems", "maximum", "exclusiveMaximum"}
_LOWER_BOUNDS = {"minLength", "minItems", "minimum", "exclusiveMinimum"}
_EXACT = {"pattern", "format"}
_CONSTRAINTS = _UPPER_BOUNDS | _LOWER_BOUNDS | _EXACT | {"enum", "const"}
# Keys that hold the schemas of what a value contains: its items, the branches of an optional value.
_NESTED = ("items", "additionalProperties", "anyOf", "oneOf", "allOf")
# What each direction of a change breaks.
_LOOSENED = "readers of the snapshot refuse what the code may now write"
_TIGHTENED = "the code refuses what was written against the snapshot"


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


def _bound(value: float | None) -> str:
    return "none" if value is None else str(value)


def _bound_change(where: str, key: str, old: float | None, new: float | None) -> str | None:
    """A length, size or value bound that changed: loosened when the new one lets more through."""
    if old == new:
        return None
    upper = key in _UPPER_BOUNDS
    loosened = new is None or (old is not None and (new > old if upper else new < old))
    return (f"{where}: {key} {'loosened' if loosened else 'tightened'} from {_bound(old)} to {_bound(new)}: "
            f"{_LOOSENED if loosened else _TIGHTENED}")


def _exact_change(where: str, key: str, old: str | None, new: str | None) -> str | None:
    """A pattern or format that changed: dropped loosens, added tightens, another one does both."""
    if old == new:
        return None
    if new is None:
        return f"{where}: {key} {old!r} dropped: {_LOOSENED}"
    if old is None:
        return f"{where}: {key} {new!r} added: {_TIGHTENED}"
    return f"{where}: {key} changed from {old!r} to {new!r}: {_LOOSENED}, and {_TIGHTENED}"


def _closed_list_changes(where: str, old: dict, new: dict) -> list[str]:
    old_values, new_values = _closed_values(old), _closed_values(new)
    if old_values is None:
        return []
    if new_values is None:
        return [f"{where}: closed list {sorted(old_values)} dropped: {_LOOSENED}"]
    problems = []
    if new_values - old_values:
        problems.append(f"{where}: new values {sorted(new_values - old_values)} unknown to readers")
    if old_values - new_values:
        problems.append(f"{where}: values {sorted(old_values - new_values)} taken out: {_TIGHTENED}")
    return problems


def _constraint_changes(where: str, old: dict, new: dict) -> list[str]:
    """Every constraint of `old` and `new` (of the same shape) that differs, here and in what they contain
    (the branches of an optional value, the items of a list)."""
    problems = [_bound_change(where, key, old.get(key), new.get(key)) for key in _UPPER_BOUNDS | _LOWER_BOUNDS]
    problems += [_exact_change(where, key, old.get(key), new.get(key)) for key in _EXACT]
    problems += _closed_list_changes(where, old, new)
    for key in _NESTED:
        old_child, new_child = old.get(key), new.get(key)
        if isinstance(old_child, dict) and isinstance(new_child, dict):
            problems += _constraint_changes(f"{where}[]", old_child, new_child)
        elif isinstance(old_child, list) and isinstance(new_child, list):
            problems += [problem for old_item, new_item in zip(old_child, new_child, strict=False)
                         for problem in _constraint_changes(where, old_item, new_item)]
    return sorted(problem for problem in problems if problem)


def _compare_object(where: str, old: dict, new: dict) -> list[str]:
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}.{name}: field removed")
        elif _shape(old_prop) != _shape(new_props[name]):
            problems.append(f"{where}.{name}: type changed")
        else:
            problems += _constraint_changes(f"{where}.{name}", old_prop, new_props[name])
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"{where}.{name}: field became required")
    return problems


def breaking_changes(old: dict, new: dict) -> list[str]:
    """Every way in which `new` would break a reader written against `old`, or refuse what a writer against
    `old` wrote; each names the field, the constraint and its change."""
    problems = _compare_object("envelope", old, new)
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    for name, old_def in old_defs.items():
        if name not in new_defs:
            problems.append(f"{name}: definition removed")
            continue
        problems += _compare_object(name, old_def, new_defs[name])
        problems += _constraint_changes(name, old_def, new_defs[name])
    return problems


if __name__ == "__main__":
    for written in export(Path(sys.argv[1]) if len(sys.argv) > 1 else SNAPSHOT_DIR):
        print(f"wrote {written}")
