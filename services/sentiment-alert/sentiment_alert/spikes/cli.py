"""`yunying spikes eval DATA_DIR`: the detector over NAB-format series, one setting for all."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sentiment_alert.spikes.nab import DatasetError, evaluate_directory, totals
from sentiment_alert.spikes.settings import DetectorSettings


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


def _evaluate(args: argparse.Namespace) -> int:
    settings = DetectorSettings()
    try:
        results = evaluate_directory(Path(args.data_dir), settings)
    except DatasetError as error:
        print(f"yunying spikes eval: {error}", file=sys.stderr)
        return 2
    print(f"{'series':<32} {'windows':>7} {'found':>5} {'recall':>6} {'FPs':>4}  delays")
    for result in results:
        delays = ", ".join(_hours(d) for d in result.delays_hours) or "-"
        print(
            f"{result.name:<32} {len(result.windows):>7} {sum(result.detected):>5} "
            f"{result.recall:>6.2f} {result.false_positives:>4}  {delays}"
        )
    summary = totals(results)
    print(
        f"{'total':<32} {summary['windows']:>7} {summary['detected']:>5} "
        f"{summary['recall']:>6.2f} {summary['false_positives']:>4}  "
        f"median {_hours(summary['median_delay_hours'])} after the window opens"
    )
    offset = summary["median_offset_from_labelled_anomaly_hours"]
    if offset is not None:
        print(f"first alert vs the labelled anomaly in its window: median {offset:+.1f} h")
    by_level = summary["false_positives_by_peak_level"]
    print("false positives by peak level: " + ", ".join(f"{k} {v}" for k, v in by_level.items()))
    print("settings: " + json.dumps(settings.as_dict()))
    if args.json:
        report = {
            "settings": settings.as_dict(),
            "totals": summary,
            "series": [
                {
                    "name": r.name,
                    "windows": len(r.windows),
                    "detected": sum(r.detected),
                    "recall": r.recall,
                    "false_positives": r.false_positives,
                    "delays_hours": r.delays_hours,
                    "anomaly_offsets_hours": r.anomaly_offsets_hours,
                    "alerts": [
                        {
                            "opened_at": a.opened_at.isoformat(),
                            "peak_level": a.level.name.lower(),
                            "closed_at": a.closed_at.isoformat() if a.closed_at else None,
                        }
                        for a in r.alerts
                    ],
                }
                for r in results
            ],
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yunying spikes", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    evaluate = commands.add_parser(
        "eval", help="recall, false positives and delay on labelled series (NAB format)"
    )
    evaluate.add_argument("data_dir", metavar="DATA_DIR", help="CSV series and labels.json")
    evaluate.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    evaluate.set_defaults(handler=_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))
