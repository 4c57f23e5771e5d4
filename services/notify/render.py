"""Rendering the applicant's emails in their language: decisions, a partner's acceptance, journey milestones."""

from __future__ import annotations

from dataclasses import dataclass, replace

from contracts.events import DecisionMade, JourneyStepRecorded, ReferralUpdated
from contracts.reference import Reference
from services.notify import messages as m

# The steps of the journey the applicant is emailed about, in order; the others are the expert's working steps.
MILESTONES: tuple[str, ...] = ("training", "poc", "completed")


@dataclass(frozen=True)
class Email:
    """An email to an applicant. `project` is the line naming the project by its title: the sender's own words,
    which go only to an address emailed before (`naming_the_project`); every email ends with its stop link
    (`with_stop_link`)."""

    to: str
    subject: str
    body: str
    language: str
    project: str = ""

    def naming_the_project(self) -> "Email":
        """The email with its project line after the greeting."""
        if not self.project:
            return self
        greeting, rest = self.body.split("\n\n", 1)
        return replace(self, body=f"{greeting}\n\n{self.project}\n\n{rest}")

    def with_stop_link(self, url: str) -> "Email":
        return replace(self, body=f"{self.body}\n{m.STOP[self.language].format(url=url)}\n")


def _project(applicant) -> str:
    return m.PROJECT[applicant.language].format(title=applicant.project_title)


def taken_from_queue(decision: DecisionMade) -> bool:
    """A waiting project that an expert took on when their place came free: a second acceptance, naming them."""
    return decision.outcome == "accept_local" and decision.from_waiting_queue and bool(decision.expert_name)


def decision_kind(decision: DecisionMade) -> str:
    """The notice kind of a decision: one email per decision the applicant needs to hear of, so a forward to the
    next partner is a new one, and so is the expert who takes on a waiting project."""
    if taken_from_queue(decision):
        return f"expert-assigned:{decision.expert_id or '-'}"
    return f"decision:{decision.outcome}:{decision.factory_id or '-'}"


def _wording(decision: DecisionMade) -> str:
    """Which words announce the decision: its outcome's, but a staff member's decline and an expert taking on a
    waiting project have their own."""
    if taken_from_queue(decision):
        return "expert_assigned"
    # The automatic decline has one reason, the civilian scope; a staff member declines for the reasons given.
    if decision.outcome == "decline" and decision.decided_by != "routing":
        return "decline_by_staff"
    return decision.outcome


def render_decision(decision: DecisionMade, reference: Reference) -> Email:
    lang = decision.applicant.language
    factory = reference.factory(decision.factory_id) if decision.factory_id else None
    names = {
        "factory": f"{factory.name} ({factory.country})" if factory else "",
        "contact": _contact(factory, lang) if factory else "",
        "expert": decision.expert_name or "",
    }
    wording = _wording(decision)
    paragraphs = [m.GREETING[lang].format(name=decision.applicant.contact_name),
                  m.OPENINGS[wording][lang].format(**names)]
    paragraphs += _what_next(decision, wording, names)
    paragraphs.append(m.REASONS[lang] + "\n" + "\n".join(f"- {reason}" for reason in decision.reasons))
    paragraphs.append(m.SIGNATURE[lang])
    return Email(
        to=decision.applicant.email,
        subject=m.SUBJECTS[wording][lang].format(**names),
        body="\n\n".join(paragraphs) + "\n",
        language=lang,
        project=_project(decision.applicant),
    )


def _what_next(decision: DecisionMade, wording: str, names: dict[str, str]) -> list[str]:
    """What follows the opening: for a forward, whether we passed the application on; for an acceptance, its
    expert or its place in the queue (an expert taking on a waiting project is named in the opening already)."""
    lang = decision.applicant.language
    if decision.outcome == "forward":
        return [m.FORWARD_NEXT[decision.consent_to_share][lang].format(**names)]
    if decision.outcome != "accept_local" or wording == "expert_assigned":
        return []
    if decision.expert_name:
        return [m.EXPERT[lang].format(expert=decision.expert_name)]
    return [m.WAITING[lang]] if decision.waiting_for_expert else []


def _contact(factory, lang: str) -> str:
    if factory.website:
        return f"https://{factory.website}"
    return m.THROUGH_HOST[lang].format(host=factory.host)


def render_referral_accepted(step: ReferralUpdated, reference: Reference) -> Email:
    lang = step.applicant.language
    factory = reference.factory(step.factory_id) if step.factory_id else None
    name = f"{factory.name} ({factory.country})" if factory else ""
    paragraphs = [m.GREETING[lang].format(name=step.applicant.contact_name),
                  m.REFERRAL_ACCEPTED[lang].format(factory=name), m.SIGNATURE[lang]]
    return Email(to=step.applicant.email,
                 subject=m.REFERRAL_ACCEPTED_SUBJECT[lang].format(factory=name),
                 body="\n\n".join(paragraphs) + "\n", language=lang, project=_project(step.applicant))


def milestone_of(step: JourneyStepRecorded) -> str | None:
    """The milestone a journey record announces to the applicant: a step reached that is one of MILESTONES;
    None for the other steps, an exit and a correction, which the applicant is not emailed about."""
    if step.record == "step" and step.step in MILESTONES:
        return step.step
    return None


def render_journey_milestone(step: JourneyStepRecorded, reference: Reference) -> Email:
    """The short email announcing a milestone of the journey (see `milestone_of`) in the applicant's language."""
    milestone = milestone_of(step)
    if milestone is None:
        raise ValueError(f"a {step.record} record of step {step.step!r} is no milestone the applicant is emailed")
    lang = step.applicant.language
    paragraphs = [m.GREETING[lang].format(name=step.applicant.contact_name),
                  m.MILESTONE_TEXTS[milestone][lang], m.SIGNATURE[lang]]
    return Email(to=step.applicant.email, subject=m.MILESTONE_SUBJECTS[milestone][lang],
                 body="\n\n".join(paragraphs) + "\n", language=lang, project=_project(step.applicant))
