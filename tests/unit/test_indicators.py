"""The console's indicators, computed from intake's tables as the read model fills them: a fortnight of
applications in November 2026, with one before and one after it, and the CSV export of the figures."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts import reference
from contracts.envelope import Envelope
from contracts.events import (
    Applicant, ApplicationScored, ApplicationSubmitted, DecisionMade, ReferralOffered, ReferralUpdated, ReferredProject,
    SectorFinding,
)
from contracts.topics import APPLICATION_SCORED, DECISION_MADE, REFERRAL_UPDATED, referrals_to
from infra import samples
from services.intake.console import indicators
from services.intake.partners import bridge
from services.intake.read_model import updates
from contracts.events import JOURNEY_STEPS
from tests.support.intake_db import event_about, intake_tables, submit, tx

FORTNIGHT = (date(2026, 11, 16), date(2026, 11, 29))  # Monday of ISO week 47 to Sunday of week 48


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def applicant(submitted: ApplicationSubmitted) -> Applicant:
    return Applicant(company_name=submitted.company.name, contact_name=submitted.contact.name,
                     email=submitted.contact.email, language=submitted.contact.language,
                     project_title=submitted.project.title)


async def scored(session, submitted: Envelope[ApplicationSubmitted], *sectors: str) -> None:
    """Triage's scores as the read model records them, five seconds after submission."""
    data = submitted.data
    scores = ApplicationScored(application_id=data.application_id, policy_version="triage-2026.11.1",
                               sectors=[SectorFinding(sector=sector, declared=True) for sector in sectors],
                               priority_score=0, readiness_score=0, total_score=0, rules=[], partner_fit=[],
                               consent_to_share=data.consent.share_with_partner_factories, applicant=applicant(data))
    event = event_about(data.application_id, APPLICATION_SCORED, scores, submitted.time + timedelta(seconds=5))
    await updates.when_application_scored(tx(session), event)


async def decided(session, submitted: Envelope[ApplicationSubmitted], outcome: str, factory_id: str | None,
                  after: timedelta, decided_by: str = "routing") -> None:
    data = submitted.data
    decision = DecisionMade(application_id=data.application_id, outcome=outcome, factory_id=factory_id,
                            reasons=["A reason."], policy_version="triage-2026.11.1+routing-2026.11.2",
                            decided_by=decided_by, consent_to_share=data.consent.share_with_partner_factories,
                            applicant=applicant(data))
    event = event_about(data.application_id, DECISION_MADE, decision, submitted.time + after)
    await updates.when_decision_made(tx(session), event)


async def offered(session, submitted: Envelope[ApplicationSubmitted], factory_id: str) -> None:
    """An offer to a partner, as intake keeps it for the partner bridge."""
    data, topic = submitted.data, referrals_to(factory_id)
    offer = ReferralOffered(application_id=data.application_id, offer_id=str(uuid.uuid4()), factory_id=factory_id,
                            from_factory="lux-aif", attempt=1, answer_by=submitted.time + timedelta(days=2),
                            project=ReferredProject(title=data.project.title, summary=data.project.summary,
                                                    sectors=[], data_readiness=data.project.data_readiness,
                                                    stage=data.project.stage), fit_score=40)
    await bridge.when_offered(tx(session), event_about(data.application_id, topic, offer, submitted.time))


async def accepted_by(session, submitted: Envelope[ApplicationSubmitted], factory_id: str) -> None:
    """The partner's acceptance, as routing announces the exchange's step."""
    data = submitted.data
    step = ReferralUpdated(application_id=data.application_id, factory_id=factory_id, step="accepted", attempt=1,
                           reason="Pharos accepted the referral.", applicant=applicant(data))
    await updates.when_referral_updated(tx(session), event_about(data.application_id, REFERRAL_UPDATED, step,
                                                                 submitted.time + timedelta(hours=2)))


@pytest.fixture
async def november(tmp_path):
    """Intake's tables after November 2026; the fortnight's figures are written next to each application."""
    async with intake_tables(tmp_path) as sessions:
        async with sessions() as session:
            # Before the fortnight: Moselle Re, accepted in 20 s (week 45)
            early = await submit(session, at(2, 9))
            await scored(session, early, "insurance")
            await decided(session, early, "accept_local", "lux-aif", timedelta(seconds=20))
            # Week 47: Moselle Re, accepted in 30 s
            moselle = await submit(session, at(16, 9))
            await scored(session, moselle, "insurance", "cybersecurity")
            await decided(session, moselle, "accept_local", "lux-aif", timedelta(seconds=30))
            # Week 47: Odyssea NLP, forwarded to Pharos in 90 s, and offered to it
            odyssea = await submit(session, at(17, 10), samples.ODYSSEA_NLP)
            await scored(session, odyssea, "language", "culture-creative")
            await decided(session, odyssea, "forward", "pharos", timedelta(seconds=90))
            await offered(session, odyssea, "pharos")
            await accepted_by(session, odyssea, "pharos")
            # Week 47: Rhein Radiologie, forwarded to JAIF in 60 s; JAIF declines, AI Factory France is next
            rhein = await submit(session, at(18, 11), samples.RHEIN_RADIOLOGIE)
            await scored(session, rhein, "health")
            await decided(session, rhein, "forward", "jaif", timedelta(seconds=60))
            await offered(session, rhein, "jaif")
            await decided(session, rhein, "forward", "ai2f", timedelta(hours=5))
            await offered(session, rhein, "ai2f")
            # Week 48: Kastell Systems, declined in 45 s
            kastell = await submit(session, at(24, 8), samples.KASTELL_DEFENCE)
            await scored(session, kastell, "defence")
            await decided(session, kastell, "decline", None, timedelta(seconds=45))
            # Week 48: a reinsurer JAIF referred, to review in 10 min, then accepted by a staff member next day
            referred = await submit(session, at(25, 14), channel="partner:jaif")
            await scored(session, referred, "insurance")
            await decided(session, referred, "review", None, timedelta(minutes=10))
            await decided(session, referred, "accept_local", "lux-aif", timedelta(days=1), "Claire Hoffmann")
            # Week 48, the fortnight's last minute: Petit Four, not decided yet
            await submit(session, at(29, 23, 59), samples.PETIT_FOUR)
            # After the fortnight, at midnight: another health project for JAIF (week 49)
            late = await submit(session, at(30, 0), samples.RHEIN_RADIOLOGIE)
            await decided(session, late, "forward", "jaif", timedelta(seconds=15))
            await offered(session, late, "jaif")
            await session.commit()
        yield sessions


async def test_the_fortnights_figures(november):
    # When the indicators are computed for the fortnight
    async with november() as session:
        figures = await indicators.compute(session, *FORTNIGHT)

    # Then six applications count, three a week; the ones before and after are left out
    assert figures.applications == 6
    assert figures.per_week == {"2026-W47": 3, "2026-W48": 3}
    # And the outcomes are the current decisions: the referral is accepted now, Petit Four waits for one
    assert figures.outcomes == {"accept_local": 2, "forward": 2, "decline": 1, "review": 0, "undecided": 1}
    assert figures.sectors == {"insurance": 2, "culture-creative": 1, "cybersecurity": 1, "defence": 1, "health": 1,
                               "language": 1}
    # And the time to the first decision, of 30, 90, 60, 45 and 600 s: median 60 s, 90th percentile 600 s
    assert (figures.decision_time.decided, figures.decision_time.median_seconds,
            figures.decision_time.p90_seconds) == (5, 60, 600)
    assert figures.decision_time.p90_minutes == 10
    # And the referrals: sent to Pharos, JAIF and AI Factory France once each, accepted by Pharos; received from
    # JAIF once
    referrals = {partner.factory_id: (partner.sent, partner.accepted, partner.received)
                 for partner in figures.referrals}
    assert {factory: counts for factory, counts in referrals.items() if counts != (0, 0, 0)} == {
        "pharos": (1, 1, 0), "jaif": (1, 0, 1), "ai2f": (1, 0, 0)}
    assert set(referrals) == {factory.id for factory in reference.load().partners}  # the others at zero
    # And both accepted projects wait at the journey's start, against the target of 190 companies
    journey = figures.journey
    assert (journey.accepted, journey.in_journey, journey.completed, journey.target) == (2, 2, 0, 190)
    assert journey.reached == dict.fromkeys(JOURNEY_STEPS, 0) and journey.at_step["accepted"] == 2


async def test_without_a_range_every_application_counts_and_the_empty_weeks_show(november):
    async with november() as session:
        figures = await indicators.compute(session)
    assert figures.applications == 8
    assert figures.per_week == {"2026-W45": 1, "2026-W46": 0, "2026-W47": 3, "2026-W48": 3, "2026-W49": 1}
    assert {p.factory_id: p.sent for p in figures.referrals}["jaif"] == 2


async def test_a_range_without_applications_has_its_weeks_at_zero_and_no_decision_time(november):
    async with november() as session:
        figures = await indicators.compute(session, date(2026, 12, 7), date(2026, 12, 20))
    assert figures.applications == 0 and figures.per_week == {"2026-W50": 0, "2026-W51": 0}
    assert (figures.decision_time.decided, figures.decision_time.median_seconds) == (0, None)
    assert ("decision_time", "median_seconds", "") in set(map(tuple, csv.reader(io.StringIO(
        indicators.to_csv(figures)))))


async def test_the_csv_has_one_figure_a_row(november):
    async with november() as session:
        exported = indicators.to_csv(await indicators.compute(session, *FORTNIGHT))
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["indicator", "key", "value"]
    assert {tuple(row) for row in rows} >= {
        ("range", "since", "2026-11-16"), ("range", "until", "2026-11-29"), ("applications", "total", "6"),
        ("applications_per_week", "2026-W47", "3"), ("outcome", "undecided", "1"), ("sector", "insurance", "2"),
        ("decision_time", "median_seconds", "60.0"), ("decision_time", "p90_seconds", "600.0"),
        ("referrals_sent", "pharos", "1"), ("referrals_received", "jaif", "1"), ("referrals_accepted", "pharos", "1"),
        ("journey_funnel", "funding", "0"),
        ("journey", "accepted", "2"), ("journey", "completed", "0"), ("journey", "target", "190")}
    assert all(len(row) == 3 for row in rows)
