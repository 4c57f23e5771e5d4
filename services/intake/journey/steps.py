"""Where an accepted project stands in the journey, folded from its records, and what may be recorded next.

A project goes through the steps in their order, one at a time: a step is always the next one, never a skipped
or an earlier one. Going back is a correction, which names its reason; an exit (with its reason) or the step
`completed` closes the journey, and nothing is recorded after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from contracts.events import JOURNEY_STEPS, JourneyStepRecorded

STEP_LABELS = {
    "training": "Training", "assessment": "Assessment", "matching": "Matching with solution providers",
    "funding": "Funding", "poc": "PoC or sandbox on the supercomputer", "production": "Production",
    "completed": "Completed",
}
EXIT_REASONS = {
    "no_funding": "No funding found",
    "company_decision": "The company decided to stop",
    "not_ready": "Data or team not ready",
    "poc_inconclusive": "The proof of concept did not convince",
    "went_elsewhere": "Continued with another provider or factory",
    "other": "Other (the note says why)",
}


def step_label(step: str | None) -> str:
    return STEP_LABELS.get(step, step) if step else "Accepted, journey not started"


def index_of(step: str | None) -> int:
    """-1 before training, then the step's place in the journey."""
    return JOURNEY_STEPS.index(step) if step else -1


@dataclass(frozen=True)
class Reached:
    step: str
    on: date
    record_id: str


@dataclass
class Journey:
    """The journey as it stands: the steps reached (corrections applied), and how it closed, if it did."""

    reached: list[Reached] = field(default_factory=list)
    exit: JourneyStepRecorded | None = None
    exited_on: date | None = None
    providers: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)

    @property
    def current(self) -> str | None:
        return self.reached[-1].step if self.reached else None

    @property
    def completed(self) -> bool:
        return self.current == "completed"

    @property
    def closed(self) -> bool:
        return self.completed or self.exit is not None

    @property
    def next_step(self) -> str | None:
        """The one step that may be recorded now; None once the journey is closed."""
        if self.closed:
            return None
        return JOURNEY_STEPS[index_of(self.current) + 1]

    @property
    def last_date(self) -> date | None:
        return self.reached[-1].on if self.reached else None

    def apply(self, record_id: str, record: JourneyStepRecorded) -> None:
        if record.record == "step" and record.step:
            self.reached.append(Reached(record.step, record.on, record_id))
            if record.step == "matching":
                self.providers = list(record.providers)
            if record.step == "poc":
                self.datasets = list(record.datasets)
        elif record.record == "correction":
            self.reached = [r for r in self.reached if index_of(r.step) <= index_of(record.step)]
            if index_of(record.step) < index_of("matching"):
                self.providers = []
            if index_of(record.step) < index_of("poc"):
                self.datasets = []
        elif record.record == "exit":
            self.exit, self.exited_on = record, record.on


def fold(records: list[tuple[str, JourneyStepRecorded]]) -> Journey:
    """The journey from its records `(id, record)`, in the order they were recorded."""
    journey = Journey()
    for record_id, record in records:
        journey.apply(record_id, record)
    return journey


def refusal(journey: Journey, record: JourneyStepRecorded, today: date,
            accepted_on: date | None = None) -> tuple[str, str] | None:
    """Why `record` cannot follow `journey` of a project accepted on `accepted_on`, as (field, sentence for the
    staff member); None when it can."""
    if journey.closed:
        how = "completed the journey" if journey.completed else "left the journey"
        return "record", f"The project {how}: nothing more can be recorded."
    if record.on > today:
        return "on", "The date cannot be in the future."
    if accepted_on and record.on < accepted_on:
        return "on", f"The date cannot be before {accepted_on.isoformat()}, when the project was accepted."
    if journey.last_date and record.on < journey.last_date and record.record != "correction":
        return "on", f"The date cannot be before {journey.last_date.isoformat()}, when the last step was reached."
    if record.record == "step" and record.step != journey.next_step:
        return "step", (f"The next step is {step_label(journey.next_step)}: steps are recorded in order. To go "
                        "back to an earlier step, record a correction.")
    if record.record == "exit":
        if record.exit_reason not in EXIT_REASONS:
            return "exit_reason", "Choose why the project leaves the journey."
        if record.exit_reason == "other" and not (record.note or "").strip():
            return "note", "Say in the note why the project leaves the journey."
    if record.record == "correction" and index_of(record.step) >= index_of(journey.current):
        return "step", "A correction sets the project back to an earlier step than the one it is at."
    return None
