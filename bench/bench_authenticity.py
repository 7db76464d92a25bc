"""Engagement authenticity on the labelled evaluation set (`make bench`).

Runs campaigns' analysis (`campaigns.authenticity.analysis.analyse`, the code the service
calls) over every account of `bench/data/authenticity_eval.json` (written by
`bench/data/make_authenticity_eval.py`) and reports precision and recall of the verdict
`suspicious` against the labels, the recall per kind of injected fake, the false alarms on
the hard clean cases (a viral post, fans repeating short replies, a quiet account), and the
analysis time per account.

    bench_authenticity.py              # printed and written to bench/results/authenticity.json
    bench_authenticity.py --no-write
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

from campaigns.authenticity.analysis import (
    CommentRecord,
    FollowerCount,
    PostMetrics,
    Subject,
    analyse,
)

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data" / "authenticity_eval.json"
RESULTS = ROOT / "results" / "authenticity.json"


def subject_of(account: dict[str, Any]) -> Subject:
    return Subject(
        tier=account["tier"],
        followers=[FollowerCount(date.fromisoformat(d), n) for d, n in account["followers"]],
        posts=[
            PostMetrics(
                post_id=p["post_id"],
                posted_at=datetime.fromisoformat(p["posted_at"]),
                likes=p["likes"],
                comments=p["comments"],
                shares=p["shares"],
            )
            for p in account["posts"]
        ],
        comments=[
            CommentRecord(
                post_id=c["post_id"],
                author_id=c["author_id"],
                text=c["text"],
                at=datetime.fromisoformat(c["at"]),
                author_created_at=datetime.fromisoformat(c["author_created_at"]),
            )
            for c in account["comments"]
        ],
    )


def evaluate(accounts: list[dict[str, Any]]) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    caught: Counter[str] = Counter()
    injected: Counter[str] = Counter()
    hard_alarms: Counter[str] = Counter()
    hard_total: Counter[str] = Counter()
    findings: Counter[str] = Counter()
    started = time.perf_counter()
    for account in accounts:
        report = analyse(subject_of(account))
        flagged = report.verdict == "suspicious"
        fake = account["label"] == "fake"
        tp += flagged and fake
        fp += flagged and not fake
        fn += not flagged and fake
        tn += not flagged and not fake
        for kind in account["injected"]:
            injected[kind] += 1
            caught[kind] += flagged
        if account["hard_case"]:
            hard_total[account["hard_case"]] += 1
            hard_alarms[account["hard_case"]] += flagged
        findings.update(f.code for f in report.findings)
    elapsed = time.perf_counter() - started
    return {
        "accounts": len(accounts),
        "fake": tp + fn,
        "clean": fp + tn,
        "precision": round(tp / max(tp + fp, 1), 3),
        "recall": round(tp / max(tp + fn, 1), 3),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "recall_by_injected_kind": {k: round(caught[k] / injected[k], 3) for k in sorted(injected)},
        "false_alarms_on_hard_clean_cases": {
            k: f"{hard_alarms[k]}/{hard_total[k]}" for k in sorted(hard_total)
        },
        "findings": dict(findings.most_common()),
        "ms_per_account": round(elapsed * 1000 / max(len(accounts), 1), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    data = json.loads(DATA.read_text())
    result = {
        "benchmark": "authenticity",
        "dataset": str(DATA.relative_to(ROOT.parent)),
        "seed": data["seed"],
        "machine": platform.platform(),
        **evaluate(data["accounts"]),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
