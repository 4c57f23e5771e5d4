"""Figures of a bench run: latency percentiles, throughput, cost per application; the table, the JSON, the plot."""

from __future__ import annotations

import bisect
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


def steady_rate(sent: dict[str, float], arrivals: dict[str, float], window: tuple[float, float]) -> float:
    """Applications a second over the window: the slope of the least-squares line through the number arrived so
    far, read every 0.1 s. Work done in batches arrives in steps; unlike the counts at the window's two ends, the
    slope hardly depends on where the steps fall."""
    start, end = window
    times = sorted(arrivals[key] for key in sent if key in arrivals and start <= arrivals[key] <= end)
    grid = [start + step * 0.1 for step in range(int((end - start) / 0.1) + 1)]
    counts = [bisect.bisect_right(times, moment) for moment in grid]
    mean_time, mean_count = sum(grid) / len(grid), sum(counts) / len(counts)
    spread = sum((moment - mean_time) ** 2 for moment in grid)
    return sum((moment - mean_time) * (count - mean_count) for moment, count in zip(grid, counts)) / spread


@dataclass
class Phase:
    scenario: str  # bare-relay | durable-relay | pipeline-topic | pipeline-http
    model: bool  # whether triage's policy (and the durable relay's) asks the model (classifier.layers: both)
    offered_per_second: float | None  # None: saturation, a standing backlog for a fixed time
    applications: int  # offered and taken (HTTP: answered 202)
    refused: dict[str, int]
    decided: int
    emailed: int
    decisions_per_second: float | None  # saturation: over the steady window
    emails_per_second: float | None
    to_decision: Latency
    to_email: Latency
    cpu_seconds: dict[str, float]  # the whole phase, feeding and draining
    cpu_ms_per_application: dict[str, float]  # saturation: over the steady window; with the sum of all, "total"
    peak_rss_mb: dict[str, float]
    seconds: float
    window_seconds: float | None  # saturation: the steady window the rates and the CPU per application come from
    settle_seconds: float  # waited before the phase, for the one before to settle

    @classmethod
    def measured(cls, scenario: str, model: bool, rate: float | None, sent: dict[str, float],
                 decisions: dict[str, float], emails: dict[str, float], usage: dict[str, Usage],
                 refused: dict[str, int], seconds: float, settle_seconds: float,
                 window: tuple[float, float] | None = None, window_cpu: dict[str, float] | None = None) -> "Phase":
        to_decision, to_email = Latency.of(sent, decisions), Latency.of(sent, emails)
        if window and window_cpu is not None:
            rates = steady_rate(sent, decisions, window), steady_rate(sent, emails, window)
            cpu, done = window_cpu, rates[1] * (window[1] - window[0])
        else:
            rates = throughput(sent, decisions), throughput(sent, emails)
            cpu, done = {name: u.cpu_seconds for name, u in usage.items()}, to_email.count
        per_application = {name: round(value * 1000 / max(done, 1), 2) for name, value in cpu.items()}
        per_application["total"] = round(sum(value for name, value in per_application.items()
                                             if name != BENCH), 2)
        return cls(
            scenario, model, rate, len(sent), refused, to_decision.count, to_email.count, *rates, to_decision,
            to_email, {name: round(u.cpu_seconds, 2) for name, u in usage.items()}, per_application,
            {name: round(u.peak_rss_bytes / MB, 1) for name, u in usage.items()}, round(seconds, 1),
            round(window[1] - window[0], 1) if window else None, round(settle_seconds, 1),
        )

    @property
    def load(self) -> str:
        return "saturation" if self.offered_per_second is None else f"{self.offered_per_second:g}/s"


BENCH = "bench"  # the bench's own process (feeders, collector): measured, not counted in the system's total
# The ratios the bench is read for: (name, pipeline scenario, reference scenario, with triage's model).
RATIOS = (("pipeline-topic / bare relay, model off", "pipeline-topic", "bare-relay", False),
          ("pipeline-http / bare relay, model off", "pipeline-http", "bare-relay", False),
          ("pipeline-topic / durable relay, model on", "pipeline-topic", "durable-relay", True))
# The latencies: p99 from submission to decision at these loads, model off.
LATENCIES = (("pipeline-topic", 200), ("pipeline-http", 50))


@dataclass
class Run:
    date: str
    quick: bool
    machine: dict
    message_bytes: dict[str, float]
    phases: list[Phase] = field(default_factory=list)
    classification: dict = field(default_factory=dict)  # triage's cost per application (bench/classification.py)
    policies: dict[str, str] = field(default_factory=dict)  # "model off"/"model on" -> triage's policy then
    # "model off"/"model on" -> CPU ms per application of triage's scoring and routing's decision, in-process
    domain_ms: dict[str, dict[str, float]] = field(default_factory=dict)

    def phase(self, scenario: str, rate: float | None, model: bool = False) -> Phase | None:
        return next((p for p in self.phases
                     if p.scenario == scenario and p.offered_per_second == rate and p.model == model), None)

    def ratios(self) -> dict[str, float]:
        """Saturation throughput of the pipeline over its reference's, measured side by side in the same run."""
        ratios = {}
        for name, scenario, reference, model in RATIOS:
            pipeline, measured = self.phase(scenario, None, model), self.phase(reference, None, model)
            if pipeline and measured and pipeline.emails_per_second and measured.emails_per_second:
                ratios[name] = round(pipeline.emails_per_second / measured.emails_per_second, 3)
        return ratios

    def latencies(self) -> dict[str, float]:
        return {f"{scenario} p99 to decision at {rate}/s, model off": round(phase.to_decision.p99_ms, 1)
                for scenario, rate in LATENCIES
                if (phase := self.phase(scenario, rate)) and phase.to_decision.p99_ms is not None}

    def peak_rss_mb(self) -> dict[str, dict[str, float]]:
        """The highest RSS of each process, model off and model on."""
        peaks: dict[str, dict[str, float]] = {}
        for phase in self.phases:
            of_model = peaks.setdefault("model on" if phase.model else "model off", {})
            for name, value in phase.peak_rss_mb.items():
                of_model[name] = max(of_model.get(name, 0.0), value)
        return peaks

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "ratios": self.ratios(), "latencies": self.latencies(),
                           "peak_rss_mb": self.peak_rss_mb()}, indent=2)


def ms_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def rate_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def model_text(model: bool) -> str:
    return "on" if model else "off"


def table(run: Run) -> str:
    rows = [("scenario", "model", "load", "apps", "done", "decided/s", "emailed/s", "decision p50/p99/max ms",
             "email p50/p99/max ms")]
    rows += [(p.scenario, model_text(p.model), p.load, str(p.applications), str(p.emailed),
              rate_text(p.decisions_per_second), rate_text(p.emails_per_second), p.to_decision.text(),
              p.to_email.text()) for p in run.phases]
    lines = _columns(rows)
    names = [name for name in dict.fromkeys(name for p in run.phases for name in p.cpu_ms_per_application)
             if name not in ("total", BENCH)] + ["total", BENCH]
    cpu = [("CPU ms per application", "model", "load", *names)]
    cpu += [(p.scenario, model_text(p.model), p.load,
             *(ms_text(p.cpu_ms_per_application.get(name)) for name in names)) for p in run.phases]
    lines += ["", *_columns(cpu), ""]
    lines += [f"peak RSS (MB), {setting}: " + ", ".join(f"{name} {value:.0f}" for name, value in peaks.items())
              for setting, peaks in run.peak_rss_mb().items()]
    lines += [f"triage's policy, {setting}: {policy}" for setting, policy in run.policies.items()]
    lines += [f"domain work in the bench's process on its applications, {setting}: "
              + ", ".join(f"{name} {value} ms" for name, value in costs.items())
              for setting, costs in run.domain_ms.items()]
    if run.classification:
        c = run.classification
        lines.append(f"triage's classification ({c['applications']} applications of the evaluation set, {c['policy']}): "
                     f"CPU p50 {c['cpu_ms_p50']} ms, p99 {c['cpu_ms_p99']} ms, mean {c['cpu_ms_mean']} ms; the model "
                     f"asked for {c['model_asked_share'] * 100:.0f}%; loading {c['load_cpu_seconds']} s CPU")
    lines += [f"{name}: {value}" for name, value in run.ratios().items()]
    lines += [f"{name}: {value} ms" for name, value in run.latencies().items()]
    return "\n".join(lines)


COLOURS = {"bare-relay": "#7a7a7a", "durable-relay": "#3a9a5b", "pipeline-topic": "#1f6fb4",
           "pipeline-http": "#e07b00"}


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
    latency.set_title("Latency at fixed offered loads (model off)")
    latency.grid(True, which="both", alpha=0.3)
    latency.legend(fontsize=7)
    order = [(scenario, model) for _, scenario, reference, model in RATIOS for scenario in (reference, scenario)]
    bars = [(f"{p.scenario}\nmodel {model_text(p.model)}", p.emails_per_second or 0, COLOURS[p.scenario])
            for scenario, model in dict.fromkeys(order) if (p := run.phase(scenario, None, model))]
    saturation.bar([label for label, _, _ in bars], [value for _, value, _ in bars],
                   color=[colour for _, _, colour in bars])
    for index, (_, value, _) in enumerate(bars):
        saturation.annotate(f"{value:.0f}/s", (index, value), ha="center", va="bottom", fontsize=8)
    saturation.set_yscale("log")
    saturation.set_ylabel("applications/s, submission to email (log)")
    saturation.set_title("Saturation throughput (steady window)")
    saturation.tick_params(axis="x", labelsize=7)
    figure.suptitle(f"Aiguillage bench {run.date}: {run.machine.get('cpus')} cores, SQLite"
                    f"{' (quick)' if run.quick else ''}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
