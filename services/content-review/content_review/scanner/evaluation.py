"""Precision and recall per category on the labelled evaluation set (``eval/eval_set.jsonl``).

A line is flagged for a category when the scan has a finding of that category at severity
``block`` or ``needs_review``; hints never hold an item, so they do not count as flags.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from content_review.scanner.findings import Category, Severity
from content_review.scanner.scanner import Scanner
from content_review.scanner.workspace_lists import WorkspaceLists

DEFAULT_EVAL_SET = Path(__file__).parent / "eval" / "eval_set.jsonl"
_FLAGGING = frozenset({Severity.BLOCK, Severity.NEEDS_REVIEW})


@dataclass(frozen=True, slots=True)
class EvalLine:
    line_id: str
    text: str
    labels: frozenset[Category]
    platform: str | None = None
    allow: tuple[str, ...] = ()
    evasion: str | None = None
    note: str | None = None


@dataclass(slots=True)
class CategoryScore:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 1.0


@dataclass(slots=True)
class EvalReport:
    lines: int = 0
    scores: dict[Category, CategoryScore] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)  # "id category fn|fp: text"

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "categories": {
                category.value: {
                    "precision": round(score.precision, 4),
                    "recall": round(score.recall, 4),
                    "true_positives": score.true_positives,
                    "false_positives": score.false_positives,
                    "false_negatives": score.false_negatives,
                }
                for category, score in sorted(self.scores.items())
            },
            "misses": self.misses,
        }


def load_eval_set(path: Path = DEFAULT_EVAL_SET) -> list[EvalLine]:
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        row = json.loads(raw)
        try:
            labels = frozenset(Category(label) for label in row["labels"])
        except ValueError as error:
            raise ValueError(f"{path.name} line {number}: {error}") from None
        lines.append(
            EvalLine(
                line_id=row["id"],
                text=row["text"],
                labels=labels,
                platform=row.get("platform"),
                allow=tuple(row.get("allow", ())),
                evasion=row.get("evasion"),
                note=row.get("note"),
            )
        )
    return lines


def evaluate(scanner: Scanner, lines: list[EvalLine]) -> EvalReport:
    report = EvalReport(lines=len(lines))
    evaluated = {label for line in lines for label in line.labels}
    report.scores = {category: CategoryScore() for category in evaluated}
    for line in lines:
        lists = WorkspaceLists(allow=line.allow) if line.allow else None
        findings = scanner.scan(line.text, platform=line.platform, lists=lists)
        flagged = {f.category for f in findings if f.severity in _FLAGGING} & evaluated
        for category in evaluated:
            score = report.scores[category]
            if category in line.labels and category in flagged:
                score.true_positives += 1
            elif category in line.labels:
                score.false_negatives += 1
                report.misses.append(f"{line.line_id} {category} missed: {line.text}")
            elif category in flagged:
                score.false_positives += 1
                report.misses.append(f"{line.line_id} {category} false alarm: {line.text}")
    return report
