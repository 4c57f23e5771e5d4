"""Bad input never crashes triage: a one-word text, a language outside the network's, mixed languages, a summary
that is all noise, HTML or emoji each get a decision, review when nothing can be read, with a reason that names
the problem. (10,000 characters never reach triage: the API answers 422 naming project.summary, over 5,000.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts import reference
from contracts.events import ApplicationSubmitted
from services.routing.handlers import load_policy as routing_policy, when_application_scored_decide_route
from services.triage import semantic
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy

POLICY, REFERENCE = load_policy(), reference.load()


@pytest.fixture(scope="module")
def model():
    return semantic.layer()


def decided(model, title: str, summary: str):
    submitted = ApplicationSubmitted(
        application_id="ODD-INPUT", submitted_at=datetime.now(UTC), channel="api",
        company={"name": "Petit Four", "country": "LU", "size": "sme"},
        contact={"name": "Lea Weis", "email": "lea@petitfour.example", "language": "fr"},
        project={"title": title, "summary": summary, "data_readiness": "ready", "stage": "pilot"},
        consent={"share_with_partner_factories": True})
    scored = when_application_submitted_score_it(submitted, REFERENCE, POLICY, model)
    return scored, when_application_scored_decide_route(scored, REFERENCE, routing_policy())


@pytest.mark.parametrize(("title", "summary", "said"), [
    ("AI!", "aaaaaaaaaaaaaaaaaaaaaaaaa", "has only"),
    ("Проект", "Мы хотим использовать искусственный интеллект для нашего небольшого бизнеса в Москве.",
     "outside the network's languages"),
    ("???", ("#$%&*@!" * 715)[:5000], "not words"),
], ids=["one word", "Russian", "5,000 characters of noise"])
def test_an_unreadable_text_goes_to_staff_with_the_problem_named(model, title, summary, said):
    scored, decision = decided(model, title, summary)
    assert decision.outcome == "review"
    assert said in decision.reasons[0]


def test_html_and_emoji_are_read_past(model):
    # Given a summary pasted from a web page, with tags, entities and emoji around the words
    scored, decision = decided(model, "<b>Prévision</b> des crues 🌊",
                               "<p>Nous voulons prévoir les crues 🌧️ de la Moselle &amp; de la Sûre pour les "
                               "communes riveraines, avec vingt ans de relevés hydrologiques.</p>")
    # Then the sectors come from the words, and no tag is taken for evidence
    assert "climate" in {s.sector for s in scored.sectors}
    assert not any("<" in word for s in scored.sectors for word in s.evidence)


def test_a_text_mixing_two_languages_is_read_in_both(model):
    scored, _ = decided(model, "Détection de fraude bancaire",
                        "Nous voulons détecter la fraude dans les paiements. Our transaction data covers five "
                        "years of card payments from retail banks.")
    assert "fr" in scored.text_languages
    assert "cybersecurity" in {s.sector for s in scored.sectors} or "finance" in {s.sector for s in scored.sectors}
