"""Experts and their capacity: an accepted project goes to the best-matching expert with room for it.

Best match: most of the project's sectors among the expert's skills; then the fewest active projects; then the
id, so the choice is stable. With nobody free, the project waits in the queue, first come first served: when a
place comes free, the oldest waiting project an expert can now take is taken on (`next_from_queue`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_EXPERTS = Path(__file__).with_name("experts.yaml")


@dataclass(frozen=True)
class Expert:
    id: str
    name: str
    skills: tuple[str, ...]
    max_active: int


@dataclass(frozen=True)
class Assignment:
    expert: Expert | None
    reason: str


@dataclass(frozen=True)
class Waiting:
    """An accepted project in the waiting queue, with the priority sectors it was accepted in."""

    application_id: str
    sectors: tuple[str, ...]


def load_experts(path: Path = DEFAULT_EXPERTS, max_active: int | None = None) -> tuple[Expert, ...]:
    """The roster; `max_active` (setting EXPERT_MAX_ACTIVE) overrides every expert's capacity."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    default = raw.get("default_max_active", 5)
    return tuple(Expert(e["id"], e["name"], tuple(e["skills"]), max_active or e.get("max_active", default))
                 for e in raw["experts"])


def roster_version(path: Path = DEFAULT_EXPERTS) -> str:
    return str(yaml.safe_load(path.read_text(encoding="utf-8")).get("version", "unversioned"))


def assign(experts: tuple[Expert, ...], sectors: list[str], active: dict[str, int]) -> Assignment:
    """The expert for a project in `sectors`, given how many projects each expert carries now."""
    def overlap(expert: Expert) -> int:
        return len(set(expert.skills) & set(sectors))

    skilled = [e for e in experts if overlap(e)] or list(experts)
    free = [e for e in skilled if active.get(e.id, 0) < e.max_active]
    if not free:
        return Assignment(None, f"Every expert for {', '.join(sectors) or 'this project'} is at capacity: the "
                                "application waits in the queue (GET /v1/experts on routing) for staff to assign it.")
    best = min(free, key=lambda e: (-overlap(e), active.get(e.id, 0), e.id))
    skills = ", ".join(s for s in best.skills if s in sectors) or "general intake"
    return Assignment(best, f"Assigned to {best.name} (skills: {skills}), who now carries "
                            f"{active.get(best.id, 0) + 1} of {best.max_active} projects.")


def next_from_queue(queue: Sequence[Waiting], experts: tuple[Expert, ...],
                    active: dict[str, int]) -> tuple[Waiting, Assignment] | None:
    """First come, first served: the oldest project of `queue` (oldest first) that an expert has room for now,
    and the assignment `assign` gives it; None when nobody waiting can be taken. An older project whose experts
    are all still full does not hold back a younger one whose expert has room."""
    for waiting in queue:
        assignment = assign(experts, list(waiting.sectors), active)
        if assignment.expert:
            return waiting, assignment
    return None
