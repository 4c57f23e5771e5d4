"""notify writes the decision email in the applicant's language: what was decided, what comes next, and why."""

from __future__ import annotations

import pytest

from contracts import reference
from contracts.events import Applicant, DecisionMade
from services.notify.render import Email, decision_kind, render_decision

REFERENCE = reference.load()
FACTORY_OF = {"accept_local": "lux-aif", "forward": "mimer", "decline": None, "review": None}
TITLES = {"en": "Fraud detection in reinsurance claims", "fr": "Détection de fraude dans les sinistres",
          "de": "Betrugserkennung für Stromnetzbetreiber"}


def email(outcome: str, *, language: str = "en", consent: bool = True, factory_id: str | None = "",
          reasons: tuple[str, ...] = ("The project fits the L-AIF priorities.",),
          decided_by: str = "routing") -> Email:
    decision = DecisionMade(
        application_id="app-42", outcome=outcome, factory_id=FACTORY_OF[outcome] if factory_id == "" else factory_id,
        reasons=list(reasons), policy_version="triage-2026.11.0+routing-2026.11.0", decided_by=decided_by,
        consent_to_share=consent,
        applicant=Applicant(company_name="Moselle Re", contact_name="Anne Weber", email="anne.weber@moselle-re.example",
                            language=language, project_title=TITLES[language]),
    )
    return render_decision(decision, REFERENCE)


@pytest.mark.parametrize("language", ["en", "fr", "de"])
@pytest.mark.parametrize("outcome", ["accept_local", "forward", "decline", "review"])
def test_no_email_quotes_the_title_unless_the_address_was_emailed_before(outcome: str, language: str):
    # Given a decision about Anne Weber's project, in her language
    # When notify renders the email
    sent = email(outcome, language=language)
    # Then it goes to her, in her language, and neither subject nor body quotes the title: the form's author chose
    # it, and the first email to an address carries none of their words but the name
    assert (sent.to, sent.language) == ("anne.weber@moselle-re.example", language)
    assert TITLES[language] not in sent.subject and TITLES[language] not in sent.body
    # And to an address emailed before, the body names the project right after the greeting
    greeting, project = sent.naming_the_project().body.split("\n\n")[:2]
    assert greeting.endswith("Anne Weber,") and TITLES[language] in project


@pytest.mark.parametrize(("language", "subject"), [
    ("en", "Your AI project is accepted by the Luxembourg AI Factory"),
    ("fr", "Votre projet d'IA est accepté par la Luxembourg AI Factory"),
    ("de", "Ihr KI-Projekt wurde von der Luxembourg AI Factory angenommen"),
])
def test_an_accepted_project_is_announced_in_the_applicants_language(language: str, subject: str):
    # Given Moselle Re's project accepted by the Luxembourg AI Factory
    # When notify renders the email
    # Then the subject says so in the applicant's language
    assert email("accept_local", language=language).subject == subject


@pytest.mark.parametrize(("language", "greeting"), [
    ("en", "Dear Anne Weber,"), ("fr", "Bonjour Anne Weber,"), ("de", "Guten Tag Anne Weber,"),
])
def test_the_email_greets_the_contact_by_name(language: str, greeting: str):
    # Given any decision for Anne Weber
    # Then the email opens with her name, in her language
    assert email("review", language=language).body.startswith(greeting + "\n\n")


def test_a_forwarded_project_names_the_partner_factory():
    # Given a project forwarded to MIMER, the Swedish AI Factory, with consent
    sent = email("forward", consent=True)
    # Then the subject and the body name the factory and its country, and say it will get in touch
    assert sent.subject == ("Your AI project: MIMER - The Swedish AI Innovation "
                            "Factory (SE) is the right AI Factory for it")
    assert ("With your consent, we pass your application on to MIMER - The Swedish AI Innovation Factory (SE); "
            "they will contact you.") in sent.body


def test_a_forwarded_project_without_consent_tells_where_to_apply():
    # Given a project forwarded to MIMER, but the applicant did not consent to sharing
    sent = email("forward", consent=False)
    # Then the email says nothing was sent and gives the factory's website
    assert ("You did not agree to share your data with other AI Factories, so we sent nothing. Please apply to "
            "MIMER - The Swedish AI Innovation Factory (SE) directly: https://mimer-ai.eu.") in sent.body
    assert "we pass your application on" not in sent.body


def test_a_german_applicant_without_consent_is_told_in_german():
    # Given a German gear maker forwarded to HammerHAI in Stuttgart, without consent to sharing
    sent = email("forward", language="de", consent=False, factory_id="hammerhai")
    # Then the German email invites them to apply directly on HammerHAI's website
    assert "wir haben daher nichts weitergegeben" in sent.body
    assert sent.body.count("https://hammerhai.eu") == 1


def test_a_declined_project_is_told_about_the_civilian_scope():
    # Given a German applicant whose project was declined for its military purpose
    sent = email("decline", language="de")
    # Then the email explains that the AI Factories serve civilian applications only
    assert sent.subject == "Ihr KI-Projekt liegt außerhalb des Auftrags der AI Factories"
    assert "nur zivilen Anwendungen" in sent.body


@pytest.mark.parametrize(("language", "words"), [("en", "cannot take your project on"),
                                                ("fr", "ne pouvons pas prendre votre projet"),
                                                ("de", "nicht übernehmen")])
def test_a_project_declined_by_staff_is_not_told_about_a_military_purpose(language: str, words: str):
    # Given a staff member who declines Anne Weber's project, with their reason
    sent = email("decline", language=language, decided_by="Luc Hoffmann",
                 reasons=("Decision changed by Luc Hoffmann: the data cannot leave the client's premises.",))
    # Then the email says the team cannot take it on, gives the reason, and says nothing of weapons
    assert words in sent.body and "the data cannot leave" in sent.body
    assert not any(term in sent.body for term in ("military", "militaire", "militärisch"))
    assert "military" not in sent.subject.lower()


def test_the_reasons_are_listed_in_the_body():
    # Given a decision resting on two sentences, for a French applicant
    reasons = ("The project fits the L-AIF priorities (fit 60, at least 30).",
               "Sector 'insurance' is one of the L-AIF priorities (declared): +30")
    sent = email("accept_local", language="fr", reasons=reasons)
    # Then the body lists them under 'Pourquoi :' and ends with the signature
    assert ("Pourquoi (détail de l'évaluation, en anglais) :\n- The project fits the L-AIF priorities (fit 60, at least 30).\n"
            "- Sector 'insurance' is one of the L-AIF priorities (declared): +30\n\n") in sent.body
    assert sent.body.endswith("Cordialement,\nLe guichet unique de la Luxembourg AI Factory\n")


def test_without_a_website_the_applicant_is_sent_to_the_factorys_host():
    # Given Odyssea NLP forwarded to Pharos, whose web address the reference does not confirm, without consent
    sent = email("forward", consent=False, factory_id="pharos")
    # Then the email names Pharos's host instead of inventing an address
    assert "through its host, GRNET" in sent.body
    assert "unconfirmed" not in sent.body and "https://" not in sent.body


def test_an_accepted_project_names_its_expert_or_says_it_waits():
    decision = DecisionMade(
        application_id="app-42", outcome="accept_local", factory_id="lux-aif", reasons=["Fits."],
        policy_version="v", decided_by="routing", consent_to_share=True, expert_name="Sofia Rossi",
        applicant=Applicant(company_name="Moselle Re", contact_name="Anne Weber", email="anne.weber@moselle-re.example",
                            language="en", project_title=TITLES["en"]),
    )
    assert "Sofia Rossi will be your expert at the L-AIF." in render_decision(decision, REFERENCE).body
    waiting = decision.model_copy(update={"expert_name": None, "waiting_for_expert": True})
    assert "your project waits in our queue" in render_decision(waiting, REFERENCE).body


def taken_on_by(expert_name: str, *, language: str = "en") -> DecisionMade:
    """Moselle Re's accepted project, which waited in the queue until an expert's place came free."""
    return DecisionMade(
        application_id="app-42", outcome="accept_local", factory_id="lux-aif", decided_by="routing",
        reasons=["An expert's place came free: Sofia Rossi takes on the project that waited longest."],
        policy_version="triage-2026.11.0+routing-2026.11.0", consent_to_share=True, expert_id="sofia-rossi",
        expert_name=expert_name, from_waiting_queue=True,
        applicant=Applicant(company_name="Moselle Re", contact_name="Anne Weber", email="anne.weber@moselle-re.example",
                            language=language, project_title=TITLES[language]),
    )


@pytest.mark.parametrize(("language", "subject", "opening"), [
    ("en", "Sofia Rossi has taken on your AI project",
     "Good news: Sofia Rossi has taken on your project"),
    ("fr", "Sofia Rossi prend en charge votre projet d'IA",
     "Bonne nouvelle : Sofia Rossi prend en charge votre projet"),
    ("de", "Sofia Rossi übernimmt Ihr KI-Projekt",
     "Gute Nachricht: Sofia Rossi übernimmt Ihr Projekt"),
])
def test_a_waiting_project_taken_on_names_its_expert_in_the_applicants_language(language: str, subject: str,
                                                                                   opening: str):
    # Given Moselle Re, a Luxembourg reinsurer, whose accepted project waited until Sofia Rossi had room for it
    # When notify renders the email of that second acceptance
    sent = render_decision(taken_on_by("Sofia Rossi", language=language), REFERENCE)
    # Then Anne Weber reads who took it on, in her language, with the reason listed, and no word of the queue
    assert (sent.subject, sent.language) == (subject, language)
    assert opening in sent.body
    assert "- An expert's place came free: Sofia Rossi takes on the project that waited longest.\n" in sent.body
    assert sent.body.count("Sofia Rossi") == 2  # the opening and the reason, not a second "will be your expert"
    assert "your project waits in our queue" not in sent.body


def test_a_waiting_project_taken_on_is_a_new_notice_not_a_duplicate_of_its_acceptance():
    # Given Moselle Re's project accepted into the queue, then taken on by Sofia Rossi
    accepted = taken_on_by("Sofia Rossi").model_copy(
        update={"from_waiting_queue": False, "expert_id": None, "expert_name": None, "waiting_for_expert": True})
    # Then each is its own notice, so the applicant hears of both
    assert decision_kind(accepted) == "decision:accept_local:lux-aif"
    assert decision_kind(taken_on_by("Sofia Rossi")) == "expert-assigned:sofia-rossi"


@pytest.mark.parametrize(("outcome", "kind"), [("accept_local", "decision:accept_local:lux-aif"),
                                               ("forward", "decision:forward:mimer"),
                                               ("decline", "decision:decline:-"), ("review", "decision:review:-")])
def test_every_other_decision_keeps_its_notice_kind(outcome: str, kind: str):
    # Given an ordinary decision about Moselle Re's project, with no expert taken from the queue
    decision = DecisionMade(
        application_id="app-42", outcome=outcome, factory_id=FACTORY_OF[outcome], reasons=["Fits."],
        policy_version="v", decided_by="routing", consent_to_share=True,
        applicant=Applicant(company_name="Moselle Re", contact_name="Anne Weber", email="anne.weber@moselle-re.example",
                            language="en", project_title=TITLES["en"]))
    # Then its notice kind is the outcome and the factory, as before
    assert decision_kind(decision) == kind


def test_an_ordinary_acceptance_with_its_expert_keeps_its_subject():
    # Given Moselle Re's project accepted at once, with Sofia Rossi free to take it
    immediate = taken_on_by("Sofia Rossi").model_copy(update={"from_waiting_queue": False})
    sent = render_decision(immediate, REFERENCE)
    # Then the email is the usual acceptance, naming her as the expert
    assert sent.subject == ("Your AI project is accepted by the Luxembourg "
                            "AI Factory")
    assert "Sofia Rossi will be your expert at the L-AIF." in sent.body
    assert decision_kind(immediate) == "decision:accept_local:lux-aif"
