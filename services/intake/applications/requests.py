"""What the public API accepts, with the checks that need reference data, and what it answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts import events, reference
from contracts.events import Consent, Outcome, PartnerFit, Project, RuleResult, SectorFinding


def one_line(value: str) -> str:
    """A name or title becomes an email header: no line break of any kind Unicode knows (U+2028, U+2029 and
    U+0085 among them, which the contract's pattern lets through and the email standard does not)."""
    if value.splitlines() != [value]:
        raise ValueError("must be one line: no line or paragraph separator")
    return value


# The contract's company and contact, checked further at the door (same names: the API's schema keeps them).
class Company(events.Company):
    _one_line = field_validator("name")(one_line)


class Contact(events.Contact):
    _one_line = field_validator("name")(one_line)


class ProjectInput(Project):
    _one_line = field_validator("title")(one_line)

    declared_sectors: list[str] = Field(
        default_factory=list, max_length=10, description="Sectors the applicant names, from the sector vocabulary.",
        json_schema_extra={"items": {"type": "string", "enum": sorted(reference.load().sectors)}},
    )

    @field_validator("declared_sectors")
    @classmethod
    def sectors_are_known(cls, sectors: list[str]) -> list[str]:
        known = reference.load().sectors
        unknown = [sector for sector in sectors if sector not in known]
        if unknown:
            raise ValueError(f"unknown sector(s) {', '.join(unknown)}; known sectors: {', '.join(sorted(known))}")
        return list(dict.fromkeys(sectors))


class SubmitApplication(BaseModel):
    """An application as the applicant (web form or JSON API) sends it."""

    model_config = ConfigDict(extra="forbid")

    company: Company
    contact: Contact
    project: ProjectInput
    consent: Consent


class Accepted(BaseModel):
    application_id: str
    status_url: str


class DecisionView(BaseModel):
    outcome: str
    factory_id: str | None
    reasons: list[str]
    policy_version: str
    decided_by: str
    expert_name: str | None = None
    waiting_for_expert: bool | None = None


class TimelineView(BaseModel):
    time: str
    event: str
    summary: str
    trace_id: str | None


class StatusView(BaseModel):
    application_id: str
    status: str
    decision: DecisionView | None = None
    timeline: list[TimelineView]


# -- the staff's dry run (POST /v1/simulate): what it answers, and its refusal -------------------------------------


class SimulatedScores(BaseModel):
    sectors: list[SectorFinding]
    priority_score: int
    readiness_score: int
    total_score: int
    rules: list[RuleResult]
    partner_fit: list[PartnerFit]


class Compared(BaseModel):
    """The same application under an earlier triage policy (`?compare=<its version>`), beside today's decision."""

    policy_version: str
    outcome: Outcome
    factory_id: str | None
    sectors: list[SectorFinding]
    changed: bool


class Simulation(BaseModel):
    outcome: Outcome
    factory_id: str | None
    reasons: list[str]
    policy_version: str
    scores: SimulatedScores
    compared: Compared | None = None


class DryRunRefused(ValueError):
    """A dry run that cannot be made as asked (e.g. an earlier policy that was not kept); the message says why."""
