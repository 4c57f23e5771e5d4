"""How a run of the evaluation reads: a table per half and variant, the details of the last, and a chart."""

from __future__ import annotations

from pathlib import Path

HEADLINE = (("sector_recall", "sector recall"), ("sector_precision", "sector precision"),
            ("route_agreement", "route agreement"), ("decided_without_review", "decided w/o review"),
            ("agreement_when_decided", "right when decided"), ("review_share", "sent to review"))


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value * 100:5.1f}%"


def print_report(report: dict, show_disagreements: bool = False) -> None:
    runs = report["runs"]
    targets = report["targets"]
    print(f"{'':24}" + "".join(f"{name:>14}" for name in runs))
    for key, label in HEADLINE:
        target = f" (>= {targets[key] * 100:.0f}%)" if key in targets else ""
        print(f"{label + target:32}"[:32] + "".join(f"{_pct(run[key]):>14}" for run in runs.values()))
    print(f"{'no sector found':32}" + "".join(f"{run['no_sector_found']:>14}" for run in runs.values()))
    print(f"{'military declined/reviewed':32}" + "".join(
        f"{run['military']['declined']:>5}/{run['military']['reviewed']:<3} of {run['military']['cases']:<3}"
        for run in runs.values()))
    print(f"{'dual-use reviewed or declined':32}" + "".join(
        f"{run['military']['dual_use_reviewed_or_declined']:>8} of {run['military']['dual_use_cases']:<3}"
        for run in runs.values()))
    print(f"{'civilian declined':32}" + "".join(f"{len(run['military']['civilian_declined']):>14}"
                                               for run in runs.values()))
    print(f"{'CPU ms p50 / p99':32}" + "".join(f"{run['cpu_ms']['p50']:>7.1f}/{run['cpu_ms']['p99']:<6.1f}"
                                              for run in runs.values()))
    for name, run in runs.items():
        print(f"\n== {name}")
        print("per sector (precision / recall, expected n):")
        for sector, f in sorted(run["per_sector"].items(), key=lambda item: -item[1]["expected"]):
            print(f"  {sector:20} {_pct(f['precision'])} / {_pct(f['recall'])}  n={f['expected']:<3} "
                  f"wrong {f['found_wrong']}")
        print("recall per language: " + ", ".join(f"{lang} {_pct(v).strip()}"
                                                 for lang, v in run["per_language_recall"].items()))
        print("route agreement per kind: " + ", ".join(f"{kind} {_pct(v).strip()}"
                                                      for kind, v in run["per_kind_route_agreement"].items()))
        print("most frequent confusions (expected -> found instead): " +
              "; ".join(f"{pair} x{n}" for pair, n in list(run["confusion"].items())[:12]))
        print(f"layers of the sectors found: {run['layers']}")
        if run["military"]["let_through"] or run["military"]["civilian_declined"]:
            print(f"military let through: {run['military']['let_through']}; "
                  f"civilian declined: {run['military']['civilian_declined']}")
        if show_disagreements:
            for d in run["disagreements"]:
                print(f"  {d['id']}: expected {d['expected']} decided {d['decided']}; "
                      f"sectors expected {d['expected_sectors']} found {d['found']}")


def chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = report["runs"]
    keys = [key for key, _ in HEADLINE[:5]]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 9))
    width = 0.8 / max(1, len(runs))
    for i, (name, run) in enumerate(runs.items()):
        top.bar([k + i * width for k in range(len(keys))], [(run[key] or 0) * 100 for key in keys], width,
                label=name)
        languages = list(run["per_language_recall"])
        bottom.bar([k + i * width for k in range(len(languages))],
                   [(run["per_language_recall"][lang] or 0) * 100 for lang in languages], width, label=name)
        bottom.set_xticks([k + width * (len(runs) - 1) / 2 for k in range(len(languages))], languages)
    top.set_xticks([k + width * (len(runs) - 1) / 2 for k in range(len(keys))], [label for _, label in HEADLINE[:5]])
    for key in keys:
        if key in report["targets"]:
            top.hlines(report["targets"][key] * 100, keys.index(key) - 0.1, keys.index(key) + 0.9, colors="black",
                       linestyles="dotted")
    top.set_ylabel("%")
    top.set_ylim(0, 105)
    top.legend(fontsize=8)
    top.set_title(f"Aiguillage evaluation, {report['date']} ({report['cases']} cases; dotted: targets)")
    bottom.set_ylabel("sector recall per language, %")
    bottom.set_ylim(0, 105)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
