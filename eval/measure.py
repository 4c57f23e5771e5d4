"""What the evaluation measures: each case decided as triage and routing would, then the figures of a run.

Pure over the cases and the decisions: no Kafka, no database. `decide_all` runs the real handlers of triage and
routing on each application; `figures` turns what they found into the numbers `make eval` prints.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.events import ApplicationScored, ApplicationSubmitted, DecisionMade
from bench.report import percentile
from eval.cases import Case

MILITARY_KINDS = ("military", "dual-use")


@dataclass(frozen=True)
class Result:
    case: Case
    found: tuple[str, ...]  # the sectors triage found
    layers: dict[str, str]  # sector -> the layer that found it
    outcome: str  # "forward:it4lia", "accept_local", "review", "decline"
    reasons: tuple[str, ...]
    cpu_ms: float  # CPU time of triage's classification and scoring

    @property
    def route_agrees(self) -> bool:
        return self.outcome in self.case.outcomes

    @property
    def wrong(self) -> tuple[str, ...]:
        return tuple(s for s in self.found if s not in self.case.sectors and s not in self.case.also)

    @property
    def missed(self) -> tuple[str, ...]:
        return tuple(s for s in self.case.sectors if s not in self.found)


Score = Callable[[ApplicationSubmitted], ApplicationScored]
Decide = Callable[[ApplicationScored], DecisionMade]


def outcome_of(decision: DecisionMade) -> str:
    return f"forward:{decision.factory_id}" if decision.outcome == "forward" else decision.outcome


def decide_all(cases: Iterable[Case], score: Score, decide: Decide) -> list[Result]:
    results = []
    cases = list(cases)
    if cases:  # loading models and vocabularies is start-up, not the cost of an application
        score(ApplicationSubmitted(application_id="warm-up", submitted_at=datetime.now(UTC), channel="api",
                                   **cases[0].application))
    for case in cases:
        submitted = ApplicationSubmitted(application_id=case.id, submitted_at=datetime.now(UTC), channel="api",
                                         **case.application)
        started = time.process_time()
        scored = score(submitted)
        cpu_ms = (time.process_time() - started) * 1000
        decision = decide(scored)
        results.append(Result(
            case=case, found=tuple(s.sector for s in scored.sectors),
            layers={s.sector: getattr(s, "layer", None) or "lexical" for s in scored.sectors},
            outcome=outcome_of(decision), reasons=tuple(decision.reasons), cpu_ms=cpu_ms))
    return results


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(results: list[Result]) -> dict:
    """Sector precision and recall (overall, per sector, per language), confusions, routes, military, cost."""
    tp, fp, fn = Counter(), Counter(), Counter()
    by_language: dict[str, Counter] = defaultdict(Counter)
    confusion: Counter = Counter()
    for r in results:
        for sector in r.case.sectors:
            (tp if sector in r.found else fn)[sector] += 1
            by_language[r.case.language]["expected"] += 1
            by_language[r.case.language]["found"] += sector in r.found
        for sector in r.wrong:
            fp[sector] += 1
        for missed in r.missed or ("(none missed)",):
            for wrong in r.wrong:
                confusion[f"{missed} -> {wrong}"] += 1
    sectors = sorted(set(tp) | set(fp) | set(fn))
    per_sector = {s: {"precision": _ratio(tp[s], tp[s] + fp[s]), "recall": _ratio(tp[s], tp[s] + fn[s]),
                      "expected": tp[s] + fn[s], "found_right": tp[s], "found_wrong": fp[s]} for s in sectors}
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    decided = [r for r in results if r.outcome != "review"]
    military = [r for r in results if r.case.kind == "military"]
    dual_use = [r for r in results if r.case.kind == "dual-use"]
    civilian = [r for r in results if r.case.kind not in MILITARY_KINDS]
    costs = [r.cpu_ms for r in results]
    return {
        "cases": len(results),
        "sector_precision": _ratio(total_tp, total_tp + total_fp),
        "sector_recall": _ratio(total_tp, total_tp + total_fn),
        "no_sector_found": sum(1 for r in results if not r.found),
        "route_agreement": _ratio(sum(r.route_agrees for r in results), len(results)),
        "decided_without_review": _ratio(len(decided), len(results)),
        "agreement_when_decided": _ratio(sum(r.route_agrees for r in decided), len(decided)),
        "review_share": _ratio(sum(r.outcome == "review" for r in results), len(results)),
        "military": {
            "cases": len(military),
            "declined": sum(r.outcome == "decline" for r in military),
            "reviewed": sum(r.outcome == "review" for r in military),
            "let_through": [r.case.id for r in military if r.outcome not in ("decline", "review")],
            "dual_use_cases": len(dual_use),
            "dual_use_reviewed_or_declined": sum(r.outcome in ("decline", "review") for r in dual_use),
            "civilian_declined": [r.case.id for r in civilian if r.outcome == "decline"],
        },
        "per_sector": per_sector,
        "per_language_recall": {lang: _ratio(c["found"], c["expected"]) for lang, c in sorted(by_language.items())},
        "per_kind_route_agreement": {kind: _ratio(sum(r.route_agrees for r in rs), len(rs))
                                     for kind, rs in sorted(_group(results, lambda r: r.case.kind).items())},
        "confusion": dict(confusion.most_common(25)),
        "layers": dict(Counter(layer for r in results for layer in r.layers.values())),
        "cpu_ms": {"p50": _rounded(percentile(sorted(costs), 0.5)), "p99": _rounded(percentile(sorted(costs), 0.99)),
                   "mean": round(statistics.fmean(costs), 2) if costs else 0.0},
        "disagreements": [{"id": r.case.id, "expected": list(r.case.outcomes), "decided": r.outcome,
                           "expected_sectors": list(r.case.sectors), "found": list(r.found)}
                          for r in results if not r.route_agrees],
    }


def _rounded(value: float | None) -> float:
    return round(value or 0.0, 2)


def _group(results: list[Result], key: Callable[[Result], str]) -> dict[str, list[Result]]:
    groups: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        groups[key(r)].append(r)
    return groups
