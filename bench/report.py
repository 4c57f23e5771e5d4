"""Figures of a bench run: latency percentiles, throughput, cost per application; the table, the JSON, the plot."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.procs import Usage

MB = 1024 * 1024


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list; None when it is empty."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


@dataclass
class Latency:
    count: int
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    def text(self) -> str:
        return "/".join(ms_text(value) for value in (self.p50_ms, self.p99_ms, self.max_ms))

    @classmethod
    def of(cls, sent: dict[str, float], arrivals: dict[str, float]) -> "Latency":
        values = sorted((arrivals[key] - start) * 1000 for key, start in sent.items() if key in arrivals)
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.99), values[-1] if values else None)


def throughput(sent: dict[str, float], arrivals: dict[str, float]) -> float | None:
    """Applications a second, from the first one offered to the last one that arrived."""
    arrived = [arrivals[key] for key in sent if key in arrivals]
    if not arrived:
        return None
    return len(arrived) / max(max(arrived) - min(sent.values()), 1e-9)


@dataclass
class Phase:
    scenario: str  # baseline | pipeline-topic | pipeline-http
    offered_per_second: float | None  # None: saturation, everything offered at once
    applications: int  # offered and taken (HTTP: answered 202)
    refused: dict[str, int]
    decided: int
    emailed: int
    decisions_per_second: float | None
    emails_per_second: float | None
    to_decision: Latency
    to_email: Latency
    cpu_seconds: dict[str, float]
    cpu_seconds_per_1000: dict[str, float]
    peak_rss_mb: dict[str, float]
    seconds: float

    @classmethod
    def measured(cls, scenario: str, rate: float | None, sent: dict[str, float], decisions: dict[str, float],
                 emails: dict[str, float], usage: dict[str, Usage], refused: dict[str, int], seconds: float) -> "Phase":
        to_decision, to_email = Latency.of(sent, decisions), Latency.of(sent, emails)
        per_1000 = 1000 / max(to_email.count, 1)
        return cls(
            scenario, rate, len(sent), refused, to_decision.count, to_email.count, throughput(sent, decisions),
            throughput(sent, emails), to_decision, to_email,
            {name: round(u.cpu_seconds, 2) for name, u in usage.items()},
            {name: round(u.cpu_seconds * per_1000, 2) for name, u in usage.items()},
            {name: round(u.peak_rss_bytes / MB, 1) for name, u in usage.items()}, round(seconds, 1),
        )

    @property
    def load(self) -> str:
        return "saturation" if self.offered_per_second is None else f"{self.offered_per_second:g}/s"


@dataclass
class Run:
    date: str
    quick: bool
    machine: dict
    message_bytes: dict[str, float]
    phases: list[Phase] = field(default_factory=list)
    classification: dict = field(default_factory=dict)  # triage's cost per application (bench/classification.py)

    def phase(self, scenario: str, rate: float | None) -> Phase | None:
        return next((p for p in self.phases if p.scenario == scenario and p.offered_per_second == rate), None)

    def ratios(self) -> dict:
        """Pipeline / baseline, side by side in the same run: saturation throughput and p99 to decision."""
        ratios: dict = {}
        baseline = self.phase("baseline", None)
        for scenario in ("pipeline-topic", "pipeline-http"):
            pipeline = self.phase(scenario, None)
            if baseline and pipeline and baseline.emails_per_second and pipeline.emails_per_second:
                ratios[f"{scenario} saturation throughput"] = round(
                    pipeline.emails_per_second / baseline.emails_per_second, 3)
            for reference in (p for p in self.phases if p.scenario == "baseline" and p.offered_per_second):
                measured = self.phase(scenario, reference.offered_per_second)
                if measured and measured.to_decision.p99_ms and reference.to_decision.p99_ms:
                    ratios[f"{scenario} p99 to decision at {reference.load}"] = round(
                        measured.to_decision.p99_ms / reference.to_decision.p99_ms, 1)
        return ratios

    def peak_rss_mb(self) -> dict[str, float]:
        peaks: dict[str, float] = {}
        for phase in self.phases:
            for name, value in phase.peak_rss_mb.items():
                peaks[name] = max(peaks.get(name, 0.0), value)
        return peaks

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "ratios": self.ratios(), "peak_rss_mb": self.peak_rss_mb()}, indent=2)


def ms_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def rate_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def table(run: Run) -> str:
    header = ("scenario", "load", "apps", "done", "decided/s", "emailed/s", "decision p50/p99/max ms",
              "email p50/p99/max ms", "CPU s per 1000 apps")
    rows = [header]
    for p in run.phases:
        cpu = " ".join(f"{name} {value:.1f}" for name, value in p.cpu_seconds_per_1000.items())
        rows.append((p.scenario, p.load, str(p.applications), str(p.emailed), rate_text(p.decisions_per_second),
                     rate_text(p.emails_per_second), p.to_decision.text(), p.to_email.text(), cpu))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append("")
    lines.append("peak RSS (MB): " + ", ".join(f"{name} {value:.0f}" for name, value in run.peak_rss_mb().items()))
    if run.classification:
        c = run.classification
        lines.append(f"triage's classification ({c['applications']} applications of the evaluation set, {c['policy']}): "
                     f"CPU p50 {c['cpu_ms_p50']} ms, p99 {c['cpu_ms_p99']} ms, mean {c['cpu_ms_mean']} ms; the model "
                     f"asked for {c['model_asked_share'] * 100:.0f}%; loading {c['load_cpu_seconds']} s CPU")
    lines += [f"{name}: {value}" for name, value in run.ratios().items()]
    return "\n".join(lines)


COLOURS = {"baseline": "#7a7a7a", "pipeline-topic": "#1f6fb4", "pipeline-http": "#e07b00"}


def plot(run: Run, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency, saturation) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    for scenario, colour in COLOURS.items():
        points = sorted((p.offered_per_second, p) for p in run.phases
                        if p.scenario == scenario and p.offered_per_second and p.to_decision.p99_ms)
        if points:
            rates = [rate for rate, _ in points]
            latency.plot(rates, [p.to_decision.p99_ms for _, p in points], "o-", color=colour,
                         label=f"{scenario}, p99 to decision")
            latency.plot(rates, [p.to_email.p99_ms for _, p in points], "s--", color=colour, alpha=0.6,
                         label=f"{scenario}, p99 to email")
    latency.set_xscale("log")
    latency.set_yscale("log")
    latency.set_xlabel("offered load (applications/s)")
    latency.set_ylabel("latency from submission (ms)")
    latency.set_title("Latency at fixed offered loads")
    latency.grid(True, which="both", alpha=0.3)
    latency.legend(fontsize=7)
    bars = [(s, p.emails_per_second or 0) for s in COLOURS if (p := run.phase(s, None))]
    saturation.bar([s for s, _ in bars], [v for _, v in bars], color=[COLOURS[s] for s, _ in bars])
    for index, (_, value) in enumerate(bars):
        saturation.annotate(f"{value:.0f}/s", (index, value), ha="center", va="bottom", fontsize=8)
    saturation.set_yscale("log")
    saturation.set_ylabel("applications/s, submission to email (log)")
    saturation.set_title("Saturation throughput")
    saturation.tick_params(axis="x", labelsize=8)
    figure.suptitle(f"Aiguillage bench {run.date}: {run.machine.get('cpus')} cores, SQLite"
                    f"{' (quick)' if run.quick else ''}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
