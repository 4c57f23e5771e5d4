"""The programme's indicators, computed from intake's own tables for the staff console and its CSV export.

Every figure is about the applications submitted in the chosen range (by submission date, UTC, both days
included; without a range, all of them):
- applications per ISO week ('2026-W47'), the weeks without any included as zero;
- the outcomes of their current decisions (and how many wait for one); the sectors triage found in them;
- the time from submission to the first decision: median and 90th percentile (nearest rank), in seconds;
- referrals per partner factory: sent (the offers routing made, which intake keeps for the partner bridge),
  accepted (the applications whose exchange ended with that partner's acceptance, whether a partner answered on
  Kafka, through the bridge or from its own instance) and received (the applications a partner referred or
  offered to the home factory: channel 'partner:<factory-id>');
- the customer journey of the accepted projects (journey/funnel.py): the funnel from submission through each
  step to completion, the exits per step and reason, the median days per step, the completions against the
  target, by sector, by expert and by month; all folded from the journey records, which are the events of
  aif.journey.step-recorded.v1, so a database rebuilt from the topics gives the same figures.

`to_csv` writes them in a long format, one figure a row: `indicator,key,value` (see its docstring).
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import reference
from contracts.events import JourneyStepRecorded, referring_partner
from contracts.topics import DECISION_MADE
from services.intake.journey import funnel
from services.intake.journey.funnel import Funnel
from services.intake.journey.steps import fold
from services.intake.models import ApplicationRecord, BridgeOffer, JourneyRecord, TimelineEntry
from services.runtime.db import as_utc

OUTCOMES = ("accept_local", "forward", "decline", "review")
UNDECIDED = "undecided"
WAITING_FOR_EXPERT = "waiting for an expert"


@dataclass(frozen=True)
class DecisionTime:
    decided: int  # applications with a decision, of which the figures are
    median_seconds: float | None
    p90_seconds: float | None

    @property
    def median_minutes(self) -> float | None:
        return None if self.median_seconds is None else self.median_seconds / 60

    @property
    def p90_minutes(self) -> float | None:
        return None if self.p90_seconds is None else self.p90_seconds / 60


@dataclass(frozen=True)
class PartnerReferrals:
    factory_id: str
    name: str
    sent: int  # offers made to the partner
    received: int  # applications the partner referred or offered to the home factory
    accepted: int = 0  # applications whose exchange ended with the partner's acceptance


@dataclass(frozen=True)
class Indicators:
    since: date | None
    until: date | None
    applications: int
    per_week: dict[str, int]  # ISO week -> submitted applications, in order
    outcomes: dict[str, int]  # OUTCOMES, then UNDECIDED
    sectors: dict[str, int]  # sector -> applications, the most frequent first
    decision_time: DecisionTime
    referrals: tuple[PartnerReferrals, ...]  # every partner factory
    journey: Funnel


def _in_range(query, since: date | None, until: date | None):
    """`query` on the applications submitted from `since` to `until`, both days included."""
    if since:
        query = query.where(col(ApplicationRecord.created_at) >= _midnight(since))
    if until:
        query = query.where(col(ApplicationRecord.created_at) < _midnight(until + timedelta(days=1)))
    return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _weeks(days: list[date], since: date | None, until: date | None) -> dict[str, int]:
    if not days and not (since and until):
        return {}
    first, last = since or min(days), until or max(days)
    monday = first - timedelta(days=first.weekday())
    weeks = {}
    while monday <= last:
        weeks[iso_week(monday)] = 0
        monday += timedelta(days=7)
    weeks.update(Counter(iso_week(day) for day in days))
    return weeks


def nearest_rank(values: list[float], percent: float) -> float | None:
    ordered = sorted(values)
    return ordered[max(math.ceil(percent / 100 * len(ordered)), 1) - 1] if ordered else None


async def compute(session: AsyncSession, since: date | None = None, until: date | None = None) -> Indicators:
    applications = (await session.exec(_in_range(select(ApplicationRecord), since, until))).all()
    first_decisions = dict((await session.exec(_in_range(
        select(TimelineEntry.application_id, func.min(TimelineEntry.time))
        .join(ApplicationRecord, col(ApplicationRecord.id) == col(TimelineEntry.application_id))
        .where(col(TimelineEntry.event) == DECISION_MADE.event_type)
        .group_by(col(TimelineEntry.application_id)), since, until))).all())
    sent = Counter(dict((await session.exec(_in_range(
        select(BridgeOffer.factory_id, func.count())
        .join(ApplicationRecord, col(ApplicationRecord.id) == col(BridgeOffer.application_id))
        .group_by(col(BridgeOffer.factory_id)), since, until))).all()))

    accepted = [a for a in applications if a.outcome == "accept_local"]
    journey_rows = (await session.exec(
        select(JourneyRecord).where(col(JourneyRecord.application_id).in_([a.id for a in accepted]))
        .order_by(col(JourneyRecord.recorded_at), col(JourneyRecord.event_id)))).all()
    acceptances = (await session.exec(
        select(TimelineEntry.application_id, TimelineEntry.time, TimelineEntry.payload)
        .where(col(TimelineEntry.application_id).in_([a.id for a in accepted]))
        .where(col(TimelineEntry.event) == DECISION_MADE.event_type)
        .order_by(col(TimelineEntry.time)))).all()

    submitted_at = {a.id: as_utc(a.created_at) for a in applications}
    outcomes = Counter(json.loads(a.decision)["outcome"] if a.decision else UNDECIDED for a in applications)
    sectors = Counter(finding["sector"] for a in applications if a.scores
                      for finding in json.loads(a.scores)["sectors"])
    received = Counter(partner for a in applications if (partner := referring_partner(a.channel)))
    accepted_by = Counter(a.referral_factory_id for a in applications if a.referral_step == "accepted")
    waits = [max((as_utc(at) - submitted_at[app]).total_seconds(), 0.0) for app, at in first_decisions.items()]
    partners = {f.id: f.name for f in reference.load().partners}
    return Indicators(
        since=since, until=until, applications=len(applications),
        per_week=_weeks([at.date() for at in submitted_at.values()], since, until),
        outcomes={outcome: outcomes[outcome] for outcome in (*OUTCOMES, UNDECIDED)},
        sectors=dict(sorted(sectors.items(), key=lambda item: (-item[1], item[0]))),
        decision_time=DecisionTime(len(waits), statistics.median(waits) if waits else None, nearest_rank(waits, 90)),
        referrals=tuple(PartnerReferrals(factory_id, partners.get(factory_id, factory_id), sent[factory_id],
                                         received[factory_id], accepted_by[factory_id])
                        for factory_id in [*partners, *sorted((set(sent) | set(received)) - set(partners))]),
        journey=funnel.funnel(len(applications), accepted_projects(accepted, journey_rows, acceptances)),
    )


def accepted_projects(accepted: list[ApplicationRecord], journey_rows, acceptances) -> list[funnel.Project]:
    """The accepted applications as the funnel counts them: accepted on the day of their first acceptance,
    carried by the expert of their current decision, with their journey folded from its records."""
    records: dict[str, list] = {}
    for row in journey_rows:
        records.setdefault(row.application_id, []).append(
            (row.event_id, JourneyStepRecorded.model_validate_json(row.payload)))
    accepted_on: dict[str, date] = {}
    for application_id, at, payload in acceptances:
        if payload and json.loads(payload)["outcome"] == "accept_local":
            accepted_on.setdefault(application_id, as_utc(at).date())
    projects = []
    for application in accepted:
        decision = json.loads(application.decision or "{}")
        projects.append(funnel.Project(
            sectors=tuple(s for s in application.sectors.split("|") if s),
            expert=decision.get("expert_name") or WAITING_FOR_EXPERT,
            accepted_on=accepted_on.get(application.id, as_utc(application.created_at).date()),
            journey=fold(records.get(application.id, []))))
    return projects


def to_csv(indicators: Indicators) -> str:
    """One figure a row, `indicator,key,value`: range (since, until; empty when open), applications (total),
    applications_per_week (ISO week), outcome (each outcome and 'undecided'), sector, decision_time (decided,
    median_seconds, p90_seconds; empty when nothing is decided), referrals_sent, referrals_received and
    referrals_accepted (partner factory id), then the journey's (journey/funnel.py `csv_rows`): journey (accepted,
    in_journey, completed, exited, target), journey_funnel (submitted, accepted, each step: projects that reached it), journey_at_step
    (each stage: open projects there now), journey_exits ('<stage>:<exit reason>'), journey_median_days (each
    stage; empty when no project moved on from it), journey_by_sector, journey_by_expert and journey_by_month
    ('<key>:<accepted|in_journey|completed|exited>', or for months '<YYYY-MM>:<steps|completed|exited>')."""
    time_taken = indicators.decision_time
    rows = [
        ("range", "since", indicators.since.isoformat() if indicators.since else ""),
        ("range", "until", indicators.until.isoformat() if indicators.until else ""),
        ("applications", "total", indicators.applications),
        *(("applications_per_week", week, count) for week, count in indicators.per_week.items()),
        *(("outcome", outcome, count) for outcome, count in indicators.outcomes.items()),
        *(("sector", sector, count) for sector, count in indicators.sectors.items()),
        ("decision_time", "decided", time_taken.decided),
        ("decision_time", "median_seconds", "" if time_taken.median_seconds is None else time_taken.median_seconds),
        ("decision_time", "p90_seconds", "" if time_taken.p90_seconds is None else time_taken.p90_seconds),
        *(("referrals_sent", partner.factory_id, partner.sent) for partner in indicators.referrals),
        *(("referrals_received", partner.factory_id, partner.received) for partner in indicators.referrals),
        *(("referrals_accepted", partner.factory_id, partner.accepted) for partner in indicators.referrals),
        *funnel.csv_rows(indicators.journey),
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("indicator", "key", "value"))
    writer.writerows(rows)
    return out.getvalue()
