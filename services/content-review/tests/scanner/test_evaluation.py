"""The labelled evaluation set, the precision/recall arithmetic, and a quality floor."""

import pytest

from content_review.scanner import Category, Scanner, ScannerRegistry
from content_review.scanner.evaluation import EvalLine, evaluate, load_eval_set

EVASIONS = {
    "spaces",
    "symbols",
    "emoji",
    "zero_width",
    "repeats",
    "traditional",
    "fullwidth",
    "case",
    "pinyin",
    "homophone",
    "mixed",
}


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return ScannerRegistry().scanner()


def test_the_set_covers_every_evasion_and_the_exceptions() -> None:
    lines = load_eval_set()
    assert len(lines) >= 300
    positives = [line for line in lines if line.labels]
    negatives = [line for line in lines if not line.labels]
    assert {line.evasion for line in positives} >= EVASIONS
    assert len(negatives) >= 100
    assert any(line.allow for line in negatives)  # brand names on an allow list
    labelled = {label for line in positives for label in line.labels}
    assert labelled >= {
        Category.POLITICS,
        Category.RELIGION,
        Category.PORNOGRAPHY,
        Category.FALSE_CLAIM,
        Category.ABSOLUTE_TERM,
        Category.PLATFORM_RULE,
    }


def test_precision_and_recall_are_counted_per_category(scanner: Scanner) -> None:
    lines = [
        EvalLine("1", "这款茶能治百病", frozenset({Category.FALSE_CLAIM})),  # found
        EvalLine("2", "普通的一句话", frozenset({Category.FALSE_CLAIM})),  # missed
        EvalLine("3", "全网最低价", frozenset()),  # false alarm for absolute terms
        EvalLine("4", "追求极致", frozenset({Category.ABSOLUTE_TERM})),  # a hint is no flag
    ]
    report = evaluate(scanner, lines)
    claims = report.scores[Category.FALSE_CLAIM]
    assert (claims.true_positives, claims.false_negatives, claims.false_positives) == (1, 1, 0)
    assert claims.recall == 0.5 and claims.precision == 1.0
    absolute = report.scores[Category.ABSOLUTE_TERM]
    assert (absolute.true_positives, absolute.false_negatives, absolute.false_positives) == (
        0,
        1,
        1,
    )
    assert absolute.precision == 0.0
    assert len(report.misses) == 3


def test_the_shipped_dictionaries_meet_the_quality_floor(scanner: Scanner) -> None:
    report = evaluate(scanner, load_eval_set())
    for category, score in report.scores.items():
        assert score.recall >= 0.9, (category, report.misses)
        assert score.precision >= 0.9, (category, report.misses)
