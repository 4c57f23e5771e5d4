"""Experts and their capacity: an accepted project goes to the best-matching expert with room for it.

Best match: most of the project's sectors among the expert's skills; then the fewest active projects; then the
id, so the choice is stable. With nobody free, the project waits in the queue, first come first served
(`in_turn`): when a place comes free, the oldest waiting project an expert can now take is taken on
(`next_from_queue`). Pure functions over the roster and counts: the counts come from routing's store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import Field

from contracts import profile
from contracts.config_files import FileModel, load_yaml

DEFAULT_EXPERTS = profile.selected().file("experts")


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
    queued_at: datetime


class ExpertEntry(FileModel):
    id: str
    name: str
    skills: list[str]
    max_active: int | None = Field(default=None, ge=0)  # the roster's default_max_active unless set


class RosterFile(FileModel):
    """routing/experts.yaml of the factory profile: the roster, versioned; `default_max_active` for the experts
    that name no `max_active`; `sample` for a roster of invented placeholders, not real people."""

    version: str = "unversioned"
    sample: bool = False
    default_max_active: int = Field(default=5, ge=0)
    experts: list[ExpertEntry]


def load_experts(path: Path = DEFAULT_EXPERTS, max_active: int | None = None) -> tuple[Expert, ...]:
    """The roster; `max_active` (setting EXPERT_MAX_ACTIVE) overrides every expert's capacity. A key the file
    should not hold, or a value of the wrong type, stops the service at start-up."""
    roster = load_yaml(path, RosterFile)

    def capacity(entry: ExpertEntry) -> int:
        return roster.default_max_active if entry.max_active is None else entry.max_active

    return tuple(Expert(e.id, e.name, tuple(e.skills), max_active or capacity(e)) for e in roster.experts)


def roster_version(path: Path = DEFAULT_EXPERTS) -> str:
    return load_yaml(path, RosterFile).version


def roster_is_sample(path: Path = DEFAULT_EXPERTS) -> bool:
    """The roster holds invented placeholders (a profile's sample), not the factory's real experts."""
    return load_yaml(path, RosterFile).sample


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


def in_turn(queue: Iterable[Waiting]) -> list[Waiting]:
    """The waiting queue in its order: first come, first served (projects queued at the same moment by id)."""
    return sorted(queue, key=lambda waiting: (waiting.queued_at, waiting.application_id))


def next_from_queue(queue: Iterable[Waiting], experts: tuple[Expert, ...],
                    active: dict[str, int]) -> tuple[Waiting, Assignment] | None:
    """Who gets a freed place: the oldest project of `queue` that an expert has room for now, and the assignment
    `assign` gives it; None when nobody waiting can be taken. An older project whose experts are all still full
    does not hold back a younger one whose expert has room."""
    for waiting in in_turn(queue):
        assignment = assign(experts, list(waiting.sectors), active)
        if assignment.expert:
            return waiting, assignment
    return None
