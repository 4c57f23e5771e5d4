"""Payloads of the v1 events. Open vocabularies (sectors, countries, factory ids) are plain strings checked
against data (`contracts.reference`), so a new sector or factory is a data change, not a schema change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Language = Literal["en", "fr", "de"]
CompanySize = Literal["startup", "sme", "large", "public_body"]
DataReadiness = Literal["none", "partial", "ready"]
Stage = Literal["idea", "prototype", "pilot", "production"]
Outcome = Literal["accept_local", "forward", "decline", "review"]

# What SMTP servers accept: an ASCII local part of the usual characters, then a domain of labels.
EMAIL_PATTERN = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"


class _Model(BaseModel):
    # Readers ignore fields they do not know, so producers can add optional fields without breaking them.
    model_config = ConfigDict(extra="ignore")


# One line of printable text: it becomes an email header (a line break there would inject another header).
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"


class Company(_Model):
    name: str = Field(min_length=1, max_length=200, pattern=ONE_LINE, description="Legal name of the applying company.")
    country: str = Field(pattern=COUNTRY_PATTERN, description="ISO 3166-1 alpha-2 country code, e.g. 'LU'.")
    size: CompanySize = Field(description="startup, sme, large or public_body.")


class Contact(_Model):
    name: str = Field(min_length=1, max_length=200, pattern=ONE_LINE, description="Name of the person to write to.")
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254, description="Where the applicant's emails go.")
    language: Language = Field(description="Language of every email to the applicant: en, fr or de.")


class Project(_Model):
    title: str = Field(min_length=3, max_length=200, pattern=ONE_LINE, description="Short title of the AI project.")
    summary: str = Field(min_length=20, max_length=5000, description="What the project does, in EN, FR or DE.")
    declared_sectors: list[str] = Field(
        default_factory=list, max_length=10, description="Sectors the applicant names, from the sector vocabulary."
    )
    data_readiness: DataReadiness = Field(description="none, partial (collected, not prepared) or ready.")
    stage: Stage = Field(description="idea, prototype, pilot or production.")


class Consent(_Model):
    share_with_partner_factories: bool = Field(
        description="Whether the applicant allows their contact data to be sent to another AI Factory."
    )


HOPS = ("The factories the application came through before this one, the first where it was submitted; it is "
        "never offered to any of them (no loop, no factory receives it twice).")
OFFER = ("The offer of another factory's instance this application answers: the home factory accepts it or "
         "declines it, and never passes it on; none for an application that is not an offer.")


class OfferAnswered(_Model):
    """The offer a partner factory's instance made, which the application taken in from it answers."""

    factory_id: str = Field(description="The factory that made the offer; the answer goes to it.")
    offer_id: str = Field(description="Its id of the offer; the answer names it.")
    application_id: str = Field(description="Its id of the application; the answer names it.")


class ApplicationSubmitted(_Model):
    """An application was taken in and validated."""

    application_id: str = Field(description="Id given by intake; the key of every event about it.")
    submitted_at: datetime = Field(description="When intake accepted the application (UTC).")
    channel: str = Field(description="'web', 'api', or 'partner:<factory-id>' for an incoming referral.")
    company: Company
    contact: Contact
    project: Project
    consent: Consent
    hops: list[str] = Field(default_factory=list, description=HOPS)
    offer: OfferAnswered | None = Field(default=None, description=OFFER)


PARTNER_CHANNEL = "partner:"


def referring_partner(channel: str) -> str | None:
    """The partner factory that referred an application to the home factory, from its channel; None for 'web', 'api'."""
    return channel.removeprefix(PARTNER_CHANNEL) if channel.startswith(PARTNER_CHANNEL) else None


class Applicant(_Model):
    """Who to tell about the application, carried along so that notify needs no other source."""

    company_name: str
    contact_name: str
    email: str
    language: Language
    project_title: str


class SectorFinding(_Model):
    sector: str = Field(description="A sector of the vocabulary, e.g. 'cybersecurity'.")
    declared: bool = Field(description="True when the applicant named it.")
    evidence: list[str] = Field(default_factory=list, description="Words of the text that point to it, and for the "
                                "semantic layer the sentence closest to the sector's description.")
    layer: str | None = Field(default=None, description="What found it: 'declared', 'lexical' (the vocabulary), "
                              "'semantic' (the multilingual model) or 'both'.")
    strong: bool | None = Field(default=None, description="The evidence suffices on its own (a strong term, both "
                                "layers, or declared); a weak cue alone does not.")
    similarity: float | None = Field(default=None, description="The model's similarity between the closest "
                                     "sentence and the sector's description.")


class RuleResult(_Model):
    rule: str = Field(description="Id of the scoring rule, e.g. 'priority-sector'.")
    points: int = Field(description="Points the rule gave (may be negative).")
    reason: str = Field(description="A sentence a staff member can read.")


class PartnerFit(_Model):
    factory_id: str = Field(description="Id of a partner AI Factory, e.g. 'bsc-aif'.")
    score: int = Field(description="Fit of the project with that factory; higher is better.")
    reasons: list[str] = Field(default_factory=list)
    focus_sectors: list[str] = Field(default_factory=list, description="The project's sectors the factory focuses on.")
    same_country: bool = Field(default=False, description="The factory is in the applicant's country, or that "
                               "country belongs to its consortium or has an antenna linked to it.")
    specialisation: float | None = Field(default=None, description="The share of the factory's focus list that the "
                                         "project's sectors make up: a tie goes to the more specialised factory.")


class Signal(_Model):
    flag: str = Field(description="'military', 'dual-use', 'home-link' or 'unreadable'.")
    evidence: list[str] = Field(default_factory=list, description="The words that show it.")
    reason: str = Field(description="A sentence a staff member can read.")


class ApplicationScored(_Model):
    """Triage found the project's sectors and scored it against the home factory's priorities and every partner."""

    application_id: str
    policy_version: str = Field(description="Version of the scoring policy that produced the scores.")
    sectors: list[SectorFinding]
    priority_score: int = Field(description="Fit with the home factory's priority sectors.")
    readiness_score: int = Field(description="Readiness of data and project stage.")
    total_score: int
    rules: list[RuleResult] = Field(description="Every rule that applied, with its points and reason.")
    partner_fit: list[PartnerFit] = Field(description="Partner factories, best fit first.")
    flags: list[str] = Field(default_factory=list, description="Findings that constrain routing: 'military', "
                             "'dual-use', 'home-link' (tied to the home factory's country), 'unreadable'.")
    signals: list[Signal] = Field(default_factory=list, description="Each flag with its evidence and a sentence.")
    text_languages: list[str] = Field(default_factory=list, description="The languages the project is written in "
                                      "(ISO 639-1), as told by the classifier.")
    consent_to_share: bool
    applicant: Applicant
    languages: list[str] = Field(default_factory=list,
                                 description="Countries whose national language the project names, e.g. ['GR'].")
    company_country: str | None = Field(default=None, description="The applicant's country (ISO 3166-1 alpha-2).")
    company_size: CompanySize | None = None
    summary: str | None = Field(default=None, description="The project summary, for a referral to a partner.")
    data_readiness: DataReadiness | None = None
    stage: Stage | None = None
    referred_by: str | None = Field(default=None, description="The partner factory that referred the project to "
                                    "the home factory; it is never offered back to it.")
    hops: list[str] = Field(default_factory=list, description=HOPS)
    offer: OfferAnswered | None = Field(default=None, description=OFFER)


class DecisionMade(_Model):
    """Routing decided what happens to the application."""

    application_id: str
    outcome: Outcome = Field(description="accept_local, forward, decline or review.")
    factory_id: str | None = Field(default=None,
                                   description="The factory that takes it: the home factory or a partner.")
    reasons: list[str] = Field(description="Sentences the decision rests on.")
    policy_version: str = Field(description="Version of the policy the decision applied.")
    decided_by: str = Field(description="'routing' for an automatic decision, else the staff member's name.")
    consent_to_share: bool
    applicant: Applicant
    expert_id: str | None = Field(default=None, description="The home factory's expert who takes an accepted project.")
    expert_name: str | None = Field(default=None, description="That expert's name, for the applicant.")
    waiting_for_expert: bool = Field(default=False,
                                     description="Accepted, but every fitting expert is at capacity: it waits.")
    from_waiting_queue: bool = Field(default=False, description="An expert's place came free and this waiting "
                                     "project was taken on by the expert named: the applicant hears who it is.")
    answers_offer_of: str | None = Field(default=None, description=(
        "The factory whose offer this decision answers: it tells the applicant, so only an acceptance is emailed "
        "from here."))
    sequence: int = Field(default=0, ge=0, description=(
        "The decision's number among the application's decisions, 1, 2, 3... in the order routing made them: a "
        "reader drops a decision numbered lower than the last one it applied (a replayed older one is stale). "
        "0, the default: a decision made before routing numbered them, older than any numbered one."))

    def is_older_than(self, applied: int) -> bool:
        """Whether this decision was made before the one numbered `applied` (0: none applied, or only decisions
        from before the numbering). The same number is the same decision again, not an older one (the readers'
        inboxes and notices make its copies harmless); among unnumbered decisions nothing tells their order,
        and the last one read wins, as before the numbering."""
        return self.sequence < applied


class EmailSent(_Model):
    """notify sent an email to the applicant."""

    application_id: str
    notice_kind: str = Field(description="What the email announces, e.g. 'decision'.")
    to: str = Field(description="Recipient address.")
    language: Language
    subject: str
    message_id: str = Field(description="RFC 5322 Message-ID; the same for every retry of one notice.")
    sent_at: datetime
    body: str | None = Field(default=None, description="The email's plain-text body, as sent; absent from emails "
                                                       "sent before the body was recorded.")


ReferralAnswer = Literal["accept", "decline", "need_more_information"]
ReferralStep = Literal["offered", "accepted", "declined", "need_more_information", "expired", "exhausted"]


class ReferredProject(_Model):
    title: str
    summary: str
    sectors: list[str] = Field(description="Sectors triage found, from the sector vocabulary.")
    data_readiness: DataReadiness
    stage: Stage


class ReferralOffered(_Model):
    """The home factory offers an application to one partner factory (on that partner's own topic)."""

    application_id: str
    offer_id: str = Field(description="Id of this offer; a reply names it.")
    factory_id: str = Field(description="The partner factory the offer is for.")
    from_factory: str = Field(description="The factory that refers the project: the home factory.")
    attempt: int = Field(description="1 for the first partner asked, 2 for the next, ...")
    answer_by: datetime = Field(description="Deadline of the answer; after it the offer is escalated.")
    project: ReferredProject
    fit_score: int = Field(description="The partner's fit with the project, as triage scored it.")
    reasons: list[str] = Field(default_factory=list, description="Why this partner fits.")
    company_country: str | None = None
    company_size: CompanySize | None = None
    contact: Contact | None = Field(default=None, description="Only with the applicant's consent to share.")
    company_name: str | None = Field(default=None, description="Only with the applicant's consent to share.")
    consent_to_share: bool = Field(default=False, description=(
        "The applicant consented to their data going to partner factories; an offer without it is refused."))
    hops: list[str] = Field(default_factory=list, description=(
        "The factories the application came through, the first where it was submitted, the sender last; a "
        "factory never receives an offer that names it."))


class ReferralReplied(_Model):
    """A partner factory answers an offer (on the shared replies topic)."""

    application_id: str
    offer_id: str
    factory_id: str = Field(description="The answering partner; it must be the one the offer was for.")
    answer: ReferralAnswer = Field(description="accept, decline or need_more_information.")
    reason: str | None = Field(default=None, max_length=500,
                               description="Why, for a decline or a question (it reaches the applicant's email).")


class ReferralUpdated(_Model):
    """A step of the referral exchange, for the timeline and the applicant's emails."""

    application_id: str
    factory_id: str | None
    step: ReferralStep
    attempt: int
    reason: str
    applicant: Applicant


class ReferralIncoming(_Model):
    """A partner factory refers a project that fits the home factory (on the shared incoming topic); intake takes it
    in as an application whose channel is 'partner:<factory-id>'."""

    referral_id: str = Field(min_length=1, max_length=200, pattern=ONE_LINE,
                             description="The partner's own id of the referral; sent again, it is one application.")
    from_factory: str = Field(description="The referring partner factory; it must be the sender.")
    company: Company
    contact: Contact
    project: Project
    consent: Consent = Field(description="The applicant's consent as the referring partner collected it.")
    note: str | None = Field(default=None, max_length=2000,
                             description="Why the partner thinks the project fits the home factory.")


class OverrideRequested(_Model):
    """A staff member replaces the current decision of an application with their own (a command, written by
    intake's staff console, carried out by routing). The new decision names them and their reason."""

    application_id: str
    outcome: Outcome = Field(description="accept_local, forward, decline or review.")
    factory_id: str | None = Field(default=None, description="For forward, the partner factory chosen; for "
                                   "accept_local, the home factory; else none.")
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S",
                        description="Why the staff member changes the decision; the applicant reads it.")
    requested_by: str = Field(min_length=1, max_length=200, pattern=ONE_LINE,
                              description="The staff member's display name; the new decision is made in it.")
    staff_username: str = Field(min_length=1, max_length=200, pattern=ONE_LINE,
                                description="The staff member's account name, for the audit.")
    requested_at: datetime = Field(description="When the staff member asked (UTC).")

    @model_validator(mode="after")
    def factory_fits_outcome(self) -> "OverrideRequested":
        # Which factories exist is data (contracts.reference), checked by the writer and the reader.
        if self.outcome in ("forward", "accept_local") and not self.factory_id:
            raise ValueError(f"an override to {self.outcome} names its factory_id")
        if self.outcome in ("decline", "review") and self.factory_id:
            raise ValueError(f"an override to {self.outcome} names no factory_id")
        return self


# The one-stop shop's journey of an accepted project, in order; 'completed' closes it, as an exit does.
JourneyStep = Literal["training", "assessment", "matching", "funding", "poc", "production", "completed"]
JOURNEY_STEPS: tuple[str, ...] = ("training", "assessment", "matching", "funding", "poc", "production", "completed")
JourneyRecord = Literal["step", "exit", "correction"]


class JourneyStepRecorded(_Model):
    """An expert recorded where an accepted project stands in the one-stop shop's journey (written by intake's
    staff console): a step reached, an exit from the journey with its reason, or a correction that sets the
    project back to an earlier step, naming why. A step only ever moves the project forward; going back is a
    correction, its own event in the person's name."""

    application_id: str
    record: JourneyRecord = Field(description="step (a step reached), exit (the project left the journey) or "
                                  "correction (the project stands at an earlier step than recorded).")
    step: JourneyStep | None = Field(description="For a step, the step reached; for an exit, the last step the "
                                     "project reached; for a correction, the step it stands at; none before training.")
    on: date = Field(description="The day the step was reached or the project left (as the expert records it).")
    note: str | None = Field(default=None, max_length=1000, description="The expert's short note.")
    exit_reason: str | None = Field(default=None, description="For an exit: why, one of intake's exit reasons, e.g. "
                                    "'no_funding'.")
    reason: str | None = Field(default=None, max_length=1000, description="For a correction: why.")
    providers: list[str] = Field(default_factory=list, description="At the matching step: the solution providers "
                                 "the expert confirmed, by directory id.")
    datasets: list[str] = Field(default_factory=list, description="At the PoC step: the shared datasets attached, "
                                "by catalogue id.")
    expert_id: str | None = Field(default=None, description="The home factory's expert who carries the project.")
    recorded_by: str = Field(min_length=1, max_length=200, pattern=ONE_LINE,
                             description="The staff member's display name.")
    staff_username: str = Field(min_length=1, max_length=200, pattern=ONE_LINE,
                                description="The staff member's account name, for the audit.")
    recorded_at: datetime = Field(description="When it was recorded (UTC).")
    applicant: Applicant = Field(description="Who to tell of a milestone.")

    @property
    def closes_journey(self) -> bool:
        """The project leaves its expert: it completed the journey or exited it."""
        return self.record == "exit" or (self.record == "step" and self.step == "completed")

    @model_validator(mode="after")
    def fields_fit_record(self) -> "JourneyStepRecorded":
        if self.record == "step" and self.step is None:
            raise ValueError("a step record names the step reached")
        if self.record == "exit" and not self.exit_reason:
            raise ValueError("an exit names its exit_reason")
        if self.record == "correction" and not (self.reason or "").strip():
            raise ValueError("a correction names its reason")
        return self


class ErasureRequested(_Model):
    """The application's personal data is to be erased (written by intake: a staff member carries out the
    applicant's request, or the retention job finds its time is up). Every service deletes or anonymises its
    copies and keeps the application id, which identifies no one, so that no replay brings them back."""

    application_id: str
    requested_at: datetime = Field(description="When the erasure was asked for (UTC).")
    requested_by: str = Field(min_length=1, max_length=200, pattern=ONE_LINE,
                              description="The staff member's account name, or 'retention' for the scheduled job.")
    reason: str = Field(min_length=1, max_length=500, pattern=ONE_LINE,
                        description="Why, e.g. 'the applicant's request' or the retention rule that applied; "
                                    "never the person's words.")
