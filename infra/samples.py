"""Sample applications, each with the outcome the policy should give it. Used by `make demo` and the tests."""

from __future__ import annotations

import copy
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    story: str
    expected_outcome: str
    expected_factory: str | None
    body: dict


def _application(company: str, country: str, size: str, contact: str, email: str, language: str, title: str,
                 summary: str, sectors: list[str], readiness: str, stage: str, consent: bool) -> dict:
    return {
        "company": {"name": company, "country": country, "size": size},
        "contact": {"name": contact, "email": email, "language": language},
        "project": {"title": title, "summary": summary, "declared_sectors": sectors,
                    "data_readiness": readiness, "stage": stage},
        "consent": {"share_with_partner_factories": consent},
    }


MOSELLE_RE = Sample(
    "Moselle Re, a Luxembourg reinsurer, wants fraud detection on its claims", "accept_local", "lux-aif",
    _application("Moselle Re", "LU", "sme", "Anne Weber", "anne.weber@moselle-re.example", "fr",
                 "Détection de fraude dans les sinistres de réassurance",
                 "Nous voulons détecter la fraude dans les sinistres de réassurance grâce à dix ans de données.",
                 ["insurance"], "ready", "prototype", True),
)
ODYSSEA_NLP = Sample(
    "Odyssea NLP, an Athens start-up, builds a Greek language model", "forward", "pharos",
    _application("Odyssea NLP", "GR", "startup", "Eleni Pappas", "eleni@odyssea-nlp.example", "en",
                 "A Greek large language model for public services",
                 "We train a Greek language model (LLM) for translation and speech in Greek cultural heritage "
                 "archives and museums.", ["language", "culture-creative"], "partial", "prototype", True),
)
KASTELL_DEFENCE = Sample(
    "Kastell Systems wants drone targeting for weapons", "decline", None,
    _application("Kastell Systems", "DE", "large", "Jonas Richter", "j.richter@kastell.example", "de",
                 "Zielerfassung für Drohnen",
                 "Automatische Zielerfassung für militärische Drohnen und Waffensysteme auf dem Gefechtsfeld.",
                 [], "ready", "pilot", True),
)
RHEIN_RADIOLOGIE = Sample(
    "Rhein Radiologie, a German clinic group, did not consent to sharing", "forward", "jaif",
    _application("Rhein Radiologie", "DE", "sme", "Dr. Petra Lang", "p.lang@rhein-radiologie.example", "de",
                 "KI-gestützte Befundung in der Radiologie",
                 "Wir möchten die radiologische Diagnose in unseren Kliniken mit KI unterstützen, für Patienten "
                 "und Krankenhaus.", ["health"], "partial", "idea", False),
)
PETIT_FOUR = Sample(
    "Petit Four, a bakery with an idea but no data yet", "review", None,
    _application("Petit Four", "LU", "startup", "Luc Schmit", "luc@petitfour.example", "en",
                 "Something with AI for our shop",
                 "We would like to find out what artificial intelligence could do for our small shop.",
                 [], "none", "idea", True),
)
# The two journeys across two factories' instances (make federation-demo, tests/e2e/test_federation.py): each is
# submitted to the factory it does not fit, which offers it to the other.
ATHENS_CARDIO = Sample(
    "Athens Cardio, a Greek hospital group, submits to Luxembourg a project that fits Pharos", "forward", "pharos",
    _application("Athens Cardio", "GR", "sme", "Nikos Andreou", "nikos.andreou@athens-cardio.example", "en",
                 "Early warning of heart failure from hospital records",
                 "We want to predict heart failure in cardiology patients from ten years of anonymised hospital "
                 "records and ECG data, so that clinicians can treat them earlier.", ["health"], "ready", "pilot",
                 True),
)
KIRCHBERG_PAY = Sample(
    "Kirchberg Pay, a Luxembourg fintech, submits to Pharos a project that fits Luxembourg", "forward", "lux-aif",
    _application("Kirchberg Pay", "LU", "startup", "Claire Hoffmann", "claire.hoffmann@kirchberg-pay.example", "fr",
                 "Détection de la fraude aux paiements instantanés",
                 "Nous détectons la fraude aux paiements instantanés des banques avec un modèle entraîné sur trois "
                 "ans de transactions bancaires.", ["finance"], "ready", "prototype", True),
)

ALL = (MOSELLE_RE, ODYSSEA_NLP, KASTELL_DEFENCE, RHEIN_RADIOLOGIE, PETIT_FOUR)


def numbered(number: int, among: tuple[Sample, ...] = ALL) -> dict:
    """A copy of the body of the `number`th sample of `among` (round robin), its company named '... #<number>':
    a stream of distinct applications for load and fault tests and the bench."""
    body = copy.deepcopy(among[number % len(among)].body)
    body["company"]["name"] += f" #{number}"
    return body
