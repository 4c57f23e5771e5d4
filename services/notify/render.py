"""Rendering the decision email in the applicant's language."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.events import DecisionMade, ReferralUpdated
from contracts.reference import Reference
from services.notify import messages as m


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    language: str


def render_decision(decision: DecisionMade, reference: Reference) -> Email:
    lang = decision.applicant.language
    factory = reference.factory(decision.factory_id) if decision.factory_id else None
    names = {
        "title": decision.applicant.project_title,
        "factory": f"{factory.name} ({factory.country})" if factory else "",
        "contact": _contact(factory, lang) if factory else "",
    }
    # The automatic decline has one reason, the civilian scope; a staff member declines for the reasons given.
    wording = "decline_by_staff" if decision.outcome == "decline" and decision.decided_by != "routing" \
        else decision.outcome
    paragraphs = [m.GREETING[lang].format(name=decision.applicant.contact_name),
                  m.OPENINGS[wording][lang].format(**names)]
    if decision.outcome == "forward":
        paragraphs.append(m.FORWARD_NEXT[decision.consent_to_share][lang].format(**names))
    if decision.outcome == "accept_local" and decision.expert_name:
        paragraphs.append(m.EXPERT[lang].format(expert=decision.expert_name))
    elif decision.outcome == "accept_local" and decision.waiting_for_expert:
        paragraphs.append(m.WAITING[lang])
    paragraphs.append(m.REASONS[lang] + "\n" + "\n".join(f"- {reason}" for reason in decision.reasons))
    paragraphs.append(m.SIGNATURE[lang])
    return Email(
        to=decision.applicant.email,
        subject=m.SUBJECTS[wording][lang].format(**names),
        body="\n\n".join(paragraphs) + "\n",
        language=lang,
    )


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
                 subject=m.REFERRAL_ACCEPTED_SUBJECT[lang].format(factory=name, title=step.applicant.project_title),
                 body="\n\n".join(paragraphs) + "\n", language=lang)
