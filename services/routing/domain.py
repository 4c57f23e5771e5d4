"""Routing rules: decline, review, forward or accept, each rule a small function that says why it applies.

The rules are tried in order and the first that applies decides. A pure function over plain data: no Kafka,
no database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["accept_local", "forward", "decline", "review"]


@dataclass(frozen=True)
class Policy:
    version: str
    accept_readiness_min: int
    forward_min_score: int
    tie_margin: int = 0
    # Sectors that name a project's purpose whatever domain it serves: securing hospitals is cybersecurity.
    purpose_sectors: tuple[str, ...] = ()
    # This many declared sectors with none of them in the description: the evidence is too thin.
    declared_only_min: int = 3


@dataclass(frozen=True)
class Sector:
    name: str
    declared: bool
    evidence: int  # how many words of the text point to it


@dataclass(frozen=True)
class Candidate:
    factory_id: str
    name: str
    score: int
    focus_sectors: tuple[str, ...] = ()
    same_country: bool = False  # in, or tied to, the applicant's country (consortium, antenna)
    specialisation: float = 0.0  # the share of its focus list the project's sectors make up
    generalist: bool = False  # it names no sector focus: it serves every sector of its country or consortium
    standing: tuple[int, str] = (0, "")  # how firmly the registry states its focus (2 high .. 0 low), and since when
                                       # it was selected: what breaks a tie the specialisation leaves


@dataclass(frozen=True)
class Case:
    """What routing knows of an application."""

    sectors: tuple[Sector, ...]
    readiness: int
    candidates: tuple[Candidate, ...]  # best first
    flags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    consent_to_share: bool = True
    signals: dict[str, str] = field(default_factory=dict)  # flag -> triage's sentence saying why
    offered_by: str | None = None  # the name of the factory whose offer the application is, if it is one


@dataclass(frozen=True)
class Scope:
    """The home factory and what it chose: from the reference data."""

    home_factory: str
    home_country: str
    priorities: tuple[str, ...]
    not_prioritised: tuple[str, ...]
    home_name: str  # its short name, as the reasons write it


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    factory_id: str | None
    reasons: tuple[str, ...]
    rule: str


Rule = Callable[[Case, Scope, Policy], Decision | None]


def outside_civilian_scope(case: Case, scope: Scope, policy: Policy) -> Decision | None:
    if "military" in case.flags:
        return Decision("decline", None, (
            "The project describes a military or weapons purpose. The EuroHPC AI Factories serve civilian "
            "applications only, so no AI Factory of the network can take it on.",
            *([case.signals["military"]] if "military" in case.signals else [])), "outside-civilian-scope")
    return None


def possible_dual_use(case: Case, scope: Scope, policy: Policy) -> Decision | None:
    if "dual-use" in case.flags:
        return _review(case.signals.get("dual-use", "A cue of a military use: an intake expert checks the end users."),
                       "possible-dual-use")
    return None


def unreadable(case: Case, scope: Scope, policy: Policy) -> Decision | None:
    if "unreadable" in case.flags and not case.sectors:
        return _review(case.signals["unreadable"] + " An intake expert will read the application and ask the "
                       "applicant.", "unreadable-text")
    return None


def nothing_to_go_on(case: Case, scope: Scope, policy: Policy) -> Decision | None:
    if not case.sectors:
        return _review("No sector was declared or recognised: an intake expert will read the application.",
                       "no-sector")
    declared_sectors = [sector for sector in case.sectors if sector.declared]
    if len(declared_sectors) >= policy.declared_only_min and not any(s.evidence for s in declared_sectors):
        declared = ", ".join(sector.name for sector in declared_sectors)
        return _review(f"The declared sectors ({declared}) do not show in the description: an intake expert will "
                       "ask what the project does.", "declared-only")
    return None


def home_language(case: Case, scope: Scope, policy: Policy) -> Decision | None:
    if "language" in scope.priorities:  # the home factory's own priority: priority_project takes it
        return None
    if scope.home_country in case.languages and any(s.name == "language" for s in case.sectors):
        return _review(f"A language model for the national language of {scope.home_country}: no partner "
                       f"specialises in it, and it is not one of the {scope.home_name} priorities; staff decide.",
                       "home-language")
    return None


def torn_between_outcomes(case: Case, scope: Scope, policy: Policy) -> Decision | None:
    if set(_priority_sectors(case, scope)) & set(policy.purpose_sectors):
        return None
    priority = _evidence(case, scope.priorities)
    elsewhere = _evidence(case, scope.not_prioritised)
    if priority and elsewhere and elsewhere >= priority:
        return _review("The project points as much to sectors other factories serve better as to the "
                       f"{scope.home_name} priorities: two outcomes are close, and an intake expert will ask the "
                       "applicant.",
                       "torn-between-outcomes")
    return None


def own_country_factory(case: Case, scope: Scope, policy: Policy) -> Decision | None:
    if not _priority_sectors(case, scope) or "home-link" in case.flags:
        return None
    for candidate in case.candidates:
        shared = set(candidate.focus_sectors) & set(_priority_sectors(case, scope))
        if candidate.same_country and shared:
            return _forward(case, candidate, (
                f"{candidate.name}, in or tied to the applicant's own country, focuses on "
                f"{', '.join(sorted(shared))}, which is where the project sits.",), "own-country-factory")
    return None


def priority_project(case: Case, scope: Scope, policy: Policy) -> Decision | None:
    sectors = _priority_sectors(case, scope)
    if not sectors:
        return None
    tied = [case.signals["home-link"]] if "home-link" in case.flags else []
    if case.readiness < policy.accept_readiness_min:
        return _review(f"The project sits in one of the {scope.home_name} priorities ({', '.join(sectors)}) but its "
                       f"readiness ({case.readiness}) is below {policy.accept_readiness_min}: an intake expert will see "
                       "what it needs first.", "not-ready")
    return Decision("accept_local", scope.home_factory, (
        f"The project sits in one of the {scope.home_name} priorities ({', '.join(sectors)}) and is ready enough "
        f"(readiness {case.readiness}, at least {policy.accept_readiness_min}).", *tied), "priority-project")


def offer_outside_the_priorities(case: Case, scope: Scope, policy: Policy) -> Decision | None:
    """An offer is answered, never passed on: outside the priorities it goes back to the factory that offered it,
    which asks its next partner."""
    if case.offered_by is None:
        return None
    return Decision("decline", None, (
        f"The project is outside the {scope.home_name} priorities: it goes back to {case.offered_by}, whose offer it "
        "was, to be offered to its next partner.",), "offer-outside-the-priorities")


def best_partner(case: Case, scope: Scope, policy: Policy) -> Decision | None:
    fitting = [c for c in case.candidates if c.score >= policy.forward_min_score]
    if not fitting:
        best = case.candidates[0].score if case.candidates else 0
        return _review(f"The project is outside the {scope.home_name} priorities and no partner factory fits it well "
                       f"enough (best fit {best}, at least {policy.forward_min_score}): an intake expert will look.",
                       "no-fitting-partner")
    best, runner_up = fitting[0], (fitting[1] if len(fitting) > 1 else None)
    if runner_up and best.score - runner_up.score <= policy.tie_margin:
        level = [c for c in fitting if best.score - c.score <= policy.tie_margin]
        local = [c for c in level if c.same_country]
        if len(local) == 1:
            return _forward(case, local[0], (
                f"The project is outside the {scope.home_name} priorities; {best.name} and {runner_up.name} fit it "
                f"equally (fit {best.score}), and {local[0].name} is the one tied to the applicant's country.",),
                "partner-in-the-applicants-country")
        tied = sorted(local or level, key=_rank)
        chosen, other = tied[0], tied[1] if len(tied) > 1 else tied[0]
        home = next((c for c in case.candidates if c.generalist and c.same_country and c.score > 0), None)
        if home and not local and chosen.specialisation == other.specialisation:
            # No specialised factory stands out: the generalist of the applicant's own region takes it.
            return _forward(case, home, (
                f"The project is outside the {scope.home_name} priorities; {best.name} and {runner_up.name} fit it "
                f"equally (fit {best.score}) and are as specialised in it, and {home.name}, which serves every "
                "sector, is tied to the applicant's country.",), "home-region-generalist")
        if _rank(chosen) == _rank(other):
            return _review(f"{best.name} and {runner_up.name} fit the project equally (fit {best.score}) and are as "
                           "specialised in it: an intake expert will choose.", "partners-tied")
        if chosen.specialisation > other.specialisation:
            why = (f"{chosen.name} is the more specialised in it ({', '.join(chosen.focus_sectors)} among "
                   f"{round(len(chosen.focus_sectors) / chosen.specialisation)} focus sectors)")
        else:
            why = (f"they are as specialised in it, and the registry states {chosen.name}'s focus more firmly or "
                   "for longer")
        return _forward(case, chosen, (f"The project is outside the {scope.home_name} priorities; {chosen.name} and "
                                       f"{other.name} fit it equally (fit {best.score}), and {why}.",),
                        "most-specialised-partner")
    return _forward(case, best, (f"The project is outside the {scope.home_name} priorities; {best.name} fits it "
                                 f"best (fit {best.score}).",), "best-partner")


RULES: tuple[Rule, ...] = (outside_civilian_scope, possible_dual_use, unreadable, nothing_to_go_on, home_language, torn_between_outcomes,
                           own_country_factory, priority_project, offer_outside_the_priorities, best_partner)


def _rank(candidate: Candidate) -> tuple:
    """The order among partners that fit equally: the more specialised, then the more firmly stated and older."""
    return (-candidate.specialisation, -candidate.standing[0], candidate.standing[1] or "9999")


def decide(case: Case, scope: Scope, policy: Policy) -> Decision:
    for rule in RULES:
        if (decision := rule(case, scope, policy)) is not None:
            return decision
    raise AssertionError("best_partner always decides")


def _priority_sectors(case: Case, scope: Scope) -> list[str]:
    return [s.name for s in case.sectors if s.name in scope.priorities]


def _evidence(case: Case, sectors: tuple[str, ...]) -> int:
    return sum(s.evidence + s.declared for s in case.sectors if s.name in sectors)


def _review(reason: str, rule: str) -> Decision:
    return Decision("review", None, (reason,), rule)


def what_is_shared(consent_to_share: bool, partner_name: str) -> str:
    """What a forward does with the application: pass it on with the applicant's consent, else nothing."""
    if consent_to_share:
        return f"With the applicant's consent, the application is passed on to {partner_name}."
    return (f"The applicant did not consent to sharing with partner factories, so nothing was sent: "
            f"they are invited to apply to {partner_name} directly.")


def _forward(case: Case, partner: Candidate, reasons: tuple[str, ...], rule: str) -> Decision:
    return Decision("forward", partner.factory_id, (*reasons, what_is_shared(case.consent_to_share, partner.name)),
                    rule)
