"""Where an application stands in the staff console's queue, from what the read model knows (the current
decision and the latest referral step, which come on different topics), and the queue's filters."""

from __future__ import annotations

import pytest

from contracts.events import Applicant, DecisionMade
from services.intake.console.queue import QueueFilter
from services.intake.console.routes import override_errors
from services.intake.read_model.updates import queue_status

MOSELLE_RE = Applicant(company_name="Moselle Re", contact_name="Anne Weber", email="anne.weber@moselle-re.example",
                       language="fr", project_title="Détection de fraude dans les sinistres de réassurance")


def decided(outcome: str, factory_id: str | None = None, *, waiting: bool = False) -> DecisionMade:
    return DecisionMade(application_id="a-1", outcome=outcome, factory_id=factory_id, reasons=["because"],
                        policy_version="triage-1+routing-1", decided_by="routing", consent_to_share=True,
                        applicant=MOSELLE_RE, waiting_for_expert=waiting)


@pytest.mark.parametrize("decision, step, step_factory, status", [
    (None, None, None, "received"),
    (decided("review"), None, None, "in_review"),
    (decided("accept_local", "lux-aif", waiting=True), None, None, "waiting"),
    (decided("accept_local", "lux-aif"), None, None, "decided"),
    (decided("decline"), None, None, "decided"),
    (decided("forward", "jaif"), "offered", "jaif", "offered"),
    (decided("forward", "jaif"), "need_more_information", "jaif", "offered"),
    (decided("forward", "jaif"), "accepted", "jaif", "decided"),
    # a forward without consent is never offered: the applicant is told where to apply
    (decided("forward", "jaif"), None, None, "decided"),
    # JAIF declined and AI2F is offered it next: the step names AI2F before the new decision arrives
    (decided("forward", "jaif"), "offered", "ai2f", "decided"),
    # the last partner declined: staff take it up
    (decided("review"), "exhausted", None, "in_review"),
    # staff accepted it after an exchange that had run out
    (decided("accept_local", "lux-aif"), "expired", "jaif", "decided"),
])
def test_queue_status(decision, step, step_factory, status):
    assert queue_status(decision, step, step_factory) == status


def test_unknown_filter_values_count_as_no_filter():
    chosen = QueueFilter.parse({"status": "lost", "sector": "crypto-mining", "outcome": "maybe",
                                "factory": "nowhere", "page": "-3"})
    assert chosen == QueueFilter()


def test_the_filters_stay_in_every_link_of_the_queue():
    chosen = QueueFilter.parse({"sector": "insurance", "outcome": "accept_local", "factory": "lux-aif", "page": "2"})
    assert chosen.query() == "sector=insurance&outcome=accept_local&factory=lux-aif&page=2"
    assert chosen.query(page=3) == "sector=insurance&outcome=accept_local&factory=lux-aif&page=3"
    assert chosen.query(status="in_review", page=1) == "status=in_review&sector=insurance&outcome=accept_local" \
                                                      "&factory=lux-aif"


PARTNERS = {"jaif", "ai2f"}


def test_an_override_needs_an_outcome_and_a_reason():
    errors = override_errors({"outcome": "", "factory": "", "reason": "  "}, PARTNERS)
    assert errors == {"outcome": "Choose what should happen to the application.",
                      "reason": "Give the reason for the override: the applicant reads it."}


def test_a_forward_needs_a_partner_factory():
    assert override_errors({"outcome": "forward", "factory": "lux-aif", "reason": "Fits AI2F better."}, PARTNERS) \
        == {"factory": "Choose the partner AI Factory to forward the application to."}
    assert override_errors({"outcome": "forward", "factory": "ai2f", "reason": "Fits AI2F better."}, PARTNERS) == {}
