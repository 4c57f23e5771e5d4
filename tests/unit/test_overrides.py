"""Staff overrides: what intake stages when a staff member changes a decision, what it refuses (naming why, and
staging nothing), and the decision routing makes of the command in the staff member's name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from contracts import reference
from contracts.envelope import now
from contracts.events import (
    Applicant, ApplicationScored, ApplicationSubmitted, DecisionMade, OverrideRequested,
)
from contracts.topics import DECISION_MADE, OVERRIDE_REQUESTED
from infra import samples
from services.intake.console.overrides import OverrideRefused, stage_override
from services.intake.privacy import stage_erasure
from services.intake.models import TimelineEntry
from services.intake.read_model import updates
from services.routing.overrides import decision_of
from services.runtime.outbox import OutboxMessage
from tests.support.intake_db import event_about, intake_tables, submit, tx

STAFF = ("choffmann", "Claire Hoffmann")
MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)


def applicant(submitted: ApplicationSubmitted) -> Applicant:
    return Applicant(company_name=submitted.company.name, contact_name=submitted.contact.name,
                     email=submitted.contact.email, language=submitted.contact.language,
                     project_title=submitted.project.title)


def routing_decided(submitted: ApplicationSubmitted, outcome: str, factory_id: str | None) -> DecisionMade:
    return DecisionMade(application_id=submitted.application_id, outcome=outcome, factory_id=factory_id,
                        reasons=["A reason."], policy_version="triage-2026.11.1+routing-2026.11.2",
                        decided_by="routing", consent_to_share=submitted.consent.share_with_partner_factories,
                        applicant=applicant(submitted))


@pytest.fixture
async def intake(tmp_path):
    """Moselle Re, accepted by routing; Petit Four, not decided yet; a project JAIF referred, in review."""
    async with intake_tables(tmp_path) as sessions:
        async with sessions() as session:
            moselle = await submit(session, MONDAY)
            decision = event_about(moselle.subject, DECISION_MADE, routing_decided(moselle.data, "accept_local",
                                                                                   "lux-aif"), MONDAY + timedelta(1))
            await updates.when_decision_made(tx(session), decision)
            petit_four = await submit(session, MONDAY, samples.PETIT_FOUR)
            referred = await submit(session, MONDAY, samples.RHEIN_RADIOLOGIE, channel="partner:jaif")
            await updates.when_decision_made(tx(session), event_about(
                referred.subject, DECISION_MADE, routing_decided(referred.data, "review", None), MONDAY + timedelta(1)))
            await session.commit()
        yield sessions, {"moselle": (moselle, decision), "petit-four": (petit_four, None), "referred": (referred, None)}


async def test_an_override_is_staged_with_a_timeline_entry_naming_the_staff_member(intake):
    sessions, applications = intake
    (moselle, decision) = applications["moselle"]
    # When Claire Hoffmann sends Moselle Re's accepted project to review
    async with sessions() as session:
        envelope = await stage_override(tx(session), moselle.subject, "review", "lux-aif",
                                        "  Moselle Re asked to wait for their new claims system.  ", *STAFF)
        await session.commit()

    # Then the command is in the outbox, in the application's journey, caused by the decision she changed
    async with sessions() as session:
        commands = select(OutboxMessage).where(col(OutboxMessage.topic) == OVERRIDE_REQUESTED.name)
        (row,) = (await session.exec(commands)).all()
        entries = (await session.exec(select(TimelineEntry).where(col(TimelineEntry.event_id) == envelope.id))).all()
    assert (row.topic, row.key, row.event_id) == (OVERRIDE_REQUESTED.name, moselle.subject, envelope.id)
    assert (envelope.correlationid, envelope.causationid) == (moselle.id, decision.id)
    override = envelope.data
    assert (override.outcome, override.factory_id) == ("review", None)  # a review names no factory
    assert (override.requested_by, override.staff_username) == ("Claire Hoffmann", "choffmann")
    assert override.reason == "Moselle Re asked to wait for their new claims system."
    # And the timeline names her, the outcome and the reason
    assert [entry.summary for entry in entries] == [
        "Override requested by Claire Hoffmann: review (Moselle Re asked to wait for their new claims system.)"]


async def test_an_acceptance_is_the_home_factorys(intake):
    sessions, applications = intake
    async with sessions() as session:
        envelope = await stage_override(tx(session), applications["referred"][0].subject, "accept_local", None,
                                        "A Luxembourg hospital joins.", *STAFF)
    assert envelope.data.factory_id == reference.load().home_factory


@pytest.mark.parametrize(("application", "outcome", "factory_id", "reason", "refusal"), [
    ("nobody", "review", None, "Look again.", "There is no application nobody."),
    ("petit-four", "review", None, "Look again.", "The application has no decision yet"),
    ("moselle", "forward", "atlantis-aif", "Atlantis fits.", "'atlantis-aif' is not a partner AI Factory"),
    ("moselle", "forward", "lux-aif", "Stay home.", "'lux-aif' is not a partner AI Factory"),
    ("moselle", "forward", "", "Somewhere else.", "A forward names the partner AI Factory it goes to."),
    ("referred", "forward", "jaif", "Back to JAIF.", "referred the project to Luxembourg"),
    ("moselle", "review", None, " \n ", "A reason is required"),
    ("moselle", "review", None, "x" * 2001, "reason: String should have at most 2000 characters"),
    ("moselle", "postpone", None, "Later.", "outcome: Input should be"),
], ids=["unknown application", "not decided", "unknown factory", "home factory", "no factory", "referrer",
        "blank reason", "long reason", "unknown outcome"])
async def test_an_override_that_cannot_go_is_refused_and_nothing_is_staged(intake, application, outcome, factory_id,
                                                                           reason, refusal):
    sessions, applications = intake
    application_id = applications[application][0].subject if application in applications else application
    async with sessions() as session:
        with pytest.raises(OverrideRefused, match=refusal):
            await stage_override(tx(session), application_id, outcome, factory_id, reason, *STAFF)
        assert not session.new


def test_a_forward_without_consent_tells_the_applicant_where_to_apply_in_the_staff_members_name():
    # Given Rhein Radiologie, which did not consent to sharing, scored by triage
    submitted = ApplicationSubmitted(application_id="RHEIN-1", submitted_at=MONDAY, channel="api",
                                     **samples.RHEIN_RADIOLOGIE.body)
    scored = ApplicationScored(application_id="RHEIN-1", policy_version="triage-2026.11.1", sectors=[],
                               priority_score=0, readiness_score=0, total_score=0, rules=[], partner_fit=[],
                               consent_to_share=False, applicant=applicant(submitted))
    # When Claire Hoffmann forwards it to AI Factory France
    override = OverrideRequested(application_id="RHEIN-1", outcome="forward", factory_id="ai2f",
                                 reason="The clinic group moves to Strasbourg.", requested_by="Claire Hoffmann",
                                 staff_username="choffmann", requested_at=now())
    decision = decision_of(override, scored, "triage-2026.11.1+routing-2026.11.2", reference.load())
    # Then the decision is hers, names the override, and says that nothing was sent
    assert (decision.outcome, decision.factory_id, decision.decided_by) == ("forward", "ai2f", "Claire Hoffmann")
    assert decision.policy_version == "triage-2026.11.1+routing-2026.11.2+override"
    assert decision.reasons == [
        "Decision changed by Claire Hoffmann: The clinic group moves to Strasbourg.",
        f"The applicant did not consent to sharing with partner factories, so nothing was sent: they are invited "
        f"to apply to {reference.load().factory('ai2f').name} directly."]


async def test_the_decision_of_an_erased_applicant_cannot_be_overridden(intake):
    sessions, applications = intake
    moselle = applications["moselle"][0].subject
    # Given Moselle Re's personal data erased on Anne Weber's request
    async with sessions() as session:
        await stage_erasure(tx(session), moselle, "choffmann")
        await session.commit()
    # When Claire Hoffmann tries to send the project to review; Then she is told why not, and nothing is staged
    async with sessions() as session:
        with pytest.raises(OverrideRefused, match="personal data was erased"):
            await stage_override(tx(session), moselle, "review", None, "Look again.", *STAFF)
        assert not session.new
