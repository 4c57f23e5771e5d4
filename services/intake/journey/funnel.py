"""The journey's indicators, computed from the journey records alone (pure; `console/indicators.py` reads the rows).

For the accepted projects of a range: the funnel (how many reached each step), the projects at each step now,
the exits per step and reason, the median days spent in each stage (from reaching it to reaching the next step
or leaving; the stage 'accepted' runs from the acceptance to training), the completions against the target,
and the same counts by sector, by expert and by month. Replaying the topics gives the same records, so the same
figures.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from contracts.events import JOURNEY_STEPS
from services.intake.journey.steps import Journey

COMPLETION_TARGET = 190  # companies through the whole journey: the programme's headline target
STAGES = ("accepted", *JOURNEY_STEPS)
OUTCOMES = ("accepted", "in_journey", "completed", "exited")


@dataclass(frozen=True)
class Project:
    """An accepted project: its sectors, its expert, when it was accepted, and its journey."""

    sectors: tuple[str, ...]
    expert: str  # the expert's name, or 'waiting for an expert'
    accepted_on: date
    journey: Journey


@dataclass(frozen=True)
class Funnel:
    submitted: int
    accepted: int
    reached: dict[str, int]  # each step of JOURNEY_STEPS: projects that reached it
    at_step: dict[str, int]  # each stage but 'completed': open projects standing there now
    exits: dict[tuple[str, str], int]  # (stage left at, exit reason) -> projects
    median_days: dict[str, float | None]  # each stage but 'completed'
    completed: int
    exited: int
    by_sector: dict[str, dict[str, int]] = field(default_factory=dict)  # sector -> OUTCOMES -> projects
    by_expert: dict[str, dict[str, int]] = field(default_factory=dict)
    by_month: dict[str, dict[str, int]] = field(default_factory=dict)  # 'YYYY-MM' -> steps, completed, exited
    target: int = COMPLETION_TARGET

    @property
    def in_journey(self) -> int:
        return self.accepted - self.completed - self.exited

    def dropped_at(self, stage: str) -> int:
        return sum(count for (left_at, _), count in self.exits.items() if left_at == stage)


def _outcome(journey: Journey) -> str:
    return "completed" if journey.completed else "exited" if journey.exit else "in_journey"


def _tally(groups: dict[str, list[Journey]]) -> dict[str, dict[str, int]]:
    return {key: {"accepted": len(journeys), **{o: sum(_outcome(j) == o for j in journeys) for o in OUTCOMES[1:]}}
            for key, journeys in sorted(groups.items())}


def _days_in_stages(project: Project) -> dict[str, int]:
    """Days from reaching each stage to the next milestone, for the stages the project moved on from."""
    milestones = [("accepted", project.accepted_on), *((r.step, r.on) for r in project.journey.reached)]
    if project.journey.exit and project.journey.exited_on:
        milestones.append(("exit", project.journey.exited_on))
    return {stage: (after - on).days for (stage, on), (_, after) in zip(milestones, milestones[1:])}


def _months(projects: list[Project]) -> dict[str, dict[str, int]]:
    months: dict[str, Counter] = {}
    for project in projects:
        for reached in project.journey.reached:
            kind = "completed" if reached.step == "completed" else "steps"
            months.setdefault(f"{reached.on:%Y-%m}", Counter())[kind] += 1
        if project.journey.exited_on:
            months.setdefault(f"{project.journey.exited_on:%Y-%m}", Counter())["exited"] += 1
    return {month: {k: counts[k] for k in ("steps", "completed", "exited")} for month, counts in sorted(months.items())}


def funnel(submitted: int, projects: list[Project]) -> Funnel:
    journeys = [p.journey for p in projects]
    exits = Counter((j.current or "accepted", j.exit.exit_reason or "other") for j in journeys if j.exit)
    days: dict[str, list[int]] = {stage: [] for stage in STAGES[:-1]}
    for project in projects:
        for stage, spent in _days_in_stages(project).items():
            days[stage].append(spent)
    by_sector: dict[str, list[Journey]] = {}
    by_expert: dict[str, list[Journey]] = {}
    for project in projects:
        for sector in project.sectors:
            by_sector.setdefault(sector, []).append(project.journey)
        by_expert.setdefault(project.expert, []).append(project.journey)
    return Funnel(
        submitted=submitted, accepted=len(projects),
        reached={step: sum(any(r.step == step for r in j.reached) for j in journeys) for step in JOURNEY_STEPS},
        at_step={stage: sum((j.current or "accepted") == stage and not j.closed for j in journeys)
                 for stage in STAGES[:-1]},
        exits=dict(sorted(exits.items())),
        median_days={stage: float(statistics.median(spent)) if spent else None for stage, spent in days.items()},
        completed=sum(j.completed for j in journeys), exited=sum(j.exit is not None for j in journeys),
        by_sector=_tally(by_sector), by_expert=_tally(by_expert), by_month=_months(projects),
    )


def csv_rows(figures: Funnel) -> list[tuple[str, str, object]]:
    """The journey's rows of the indicators' CSV (`indicator,key,value`); see indicators.to_csv."""
    def blank(value: float | None) -> object:
        return "" if value is None else value

    return [
        ("journey", "accepted", figures.accepted),
        ("journey", "in_journey", figures.in_journey),
        ("journey", "completed", figures.completed),
        ("journey", "exited", figures.exited),
        ("journey", "target", figures.target),
        ("journey_funnel", "submitted", figures.submitted),
        ("journey_funnel", "accepted", figures.accepted),
        *(("journey_funnel", step, count) for step, count in figures.reached.items()),
        *(("journey_at_step", stage, count) for stage, count in figures.at_step.items()),
        *(("journey_exits", f"{stage}:{reason}", count) for (stage, reason), count in figures.exits.items()),
        *(("journey_median_days", stage, blank(days)) for stage, days in figures.median_days.items()),
        *((f"journey_by_{name}", f"{key}:{outcome}", count)
          for name, table in (("sector", figures.by_sector), ("expert", figures.by_expert),
                              ("month", figures.by_month))
          for key, counts in table.items() for outcome, count in counts.items()),
    ]
