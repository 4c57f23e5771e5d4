"""`make eval`: the evaluation set through triage and routing, for each layer of triage alone and combined.

    python -m eval                      # both halves; the test half is the figure to report
    python -m eval --split dev          # the half to tune on
    python -m eval --layers lexical     # one variant only
    python -m eval --show-disagreements # every case decided otherwise than the expert

Prints the figures, writes eval/results/<date>[-label].json and a PNG chart beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from eval import cases as case_file
from eval.measure import figures
from eval.report import chart, print_report
from eval.variants import DEFAULT, VARIANTS, run_variant

RESULTS_DIR = Path(__file__).parent / "results"
TARGETS = {"sector_recall": 0.90, "sector_precision": 0.90, "route_agreement": 0.90,
           "decided_without_review": 0.80, "agreement_when_decided": 0.95}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--layers", choices=VARIANTS, action="append",
                        help="a variant to run (repeatable); default: keywords, lexical, semantic, combined")
    parser.add_argument("--label", default="", help="added to the results' file name")
    parser.add_argument("--show-disagreements", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    try:
        every_case = case_file.load()
    except ValueError as error:
        print(f"the evaluation set has errors:\n{error}", file=sys.stderr)
        return 2
    splits = ("dev", "test") if args.split == "all" else (args.split,)
    variants = args.layers or list(DEFAULT)
    report: dict = {"date": date.today().isoformat(), "cases": len(every_case), "targets": TARGETS, "runs": {}}
    for split in splits:
        chosen = [case for case in every_case if case.split == split]
        for variant in variants:
            print(f"... {variant} on the {split} half ({len(chosen)} cases)", file=sys.stderr, flush=True)
            results = run_variant(variant, chosen)
            report["runs"][f"{split}/{variant}"] = figures(results)
    print_report(report, show_disagreements=args.show_disagreements)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = report["date"] + (f"-{args.label}" if args.label else "")
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    chart(report, args.out / f"{stem}.png")
    print(f"\nwritten: {args.out / (stem + '.json')} and {args.out / (stem + '.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
