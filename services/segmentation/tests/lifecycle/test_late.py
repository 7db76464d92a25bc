"""A late activity event skips re-derivation only when it cannot change the derived history:
checked against the replay itself on random timelines, and through ingestion."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np

from segmentation.lifecycle.history import OTHER, PURCHASE, EventColumns, derive
from segmentation.lifecycle.late import activity_cannot_move
from segmentation.lifecycle.rules import DAY, LifecycleRules

RULES = LifecycleRules()
EDGES = {"frequency": [1.0, 2.0, 3.0, 4.0], "monetary": [50.0, 100.0, 200.0, 400.0]}
NOW_DAY = 400.0


def _derived(events: list[tuple[int, float, float]]) -> list[tuple[float, int, int]]:
    kind, day, amount = zip(*events, strict=True) if events else ((), (), ())
    derived = derive(
        EventColumns(
            owner=np.zeros(len(events), dtype=np.int64),
            kind=np.array(kind, dtype=np.int8),
            at=np.array(day, dtype=float) * DAY,
            amount=np.array(amount, dtype=float),
        ),
        rules=RULES,
        edges=EDGES,
        window_days=None,
        now=NOW_DAY * DAY,
    )
    history = list(
        zip(
            derived.at.tolist(), derived.from_stage.tolist(), derived.to_stage.tolist(), strict=True
        )
    )
    return history + [(-1.0, -1, int(stage)) for stage in derived.final_stage.tolist()]


def _at(day: float) -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day)


def test_whenever_it_says_cannot_move_a_late_activity_changes_nothing() -> None:
    generator = random.Random(7)
    skipped = rederived = 0
    for _ in range(3000):
        purchases = [
            (PURCHASE, generator.uniform(0, NOW_DAY), generator.uniform(1, 300))
            for _ in range(generator.choice([0, 1, 2, 3, 5]))
        ]
        activity = [(OTHER, generator.uniform(0, NOW_DAY), 0.0) for _ in range(3)]
        late = (OTHER, generator.uniform(0, NOW_DAY), 0.0)
        days = [day for _, day, _ in purchases]
        quiet = activity_cannot_move(
            first_purchase_at=_at(min(days)) if days else None,
            last_purchase_at=_at(max(days)) if days else None,
            rules=RULES,
            window_days=None,
            now=_at(NOW_DAY),
        )
        changed = _derived(purchases + activity) != _derived([*purchases, *activity, late])
        if quiet:
            skipped += 1
            assert not changed, (purchases, activity, late)
        else:
            rederived += 1
    # both answers occur, and a skip is never wrong above
    assert skipped > 300 and rederived > 300


def test_churn_within_reach_or_an_rfm_window_always_re_derives() -> None:
    def cannot_move(first: float, last: float, window_days: int | None = None) -> bool:
        return activity_cannot_move(
            first_purchase_at=_at(first),
            last_purchase_at=_at(last),
            rules=RULES,
            window_days=window_days,
            now=_at(NOW_DAY),
        )

    assert cannot_move(NOW_DAY - 80, NOW_DAY - 10)
    assert not cannot_move(NOW_DAY - 80, NOW_DAY - 10, window_days=365)
    assert not cannot_move(NOW_DAY - 95, NOW_DAY - 91)  # silent for 90 days by now
    assert not cannot_move(NOW_DAY - 200, NOW_DAY - 10)  # a gap of 90 days may lie between
    assert activity_cannot_move(
        first_purchase_at=None,
        last_purchase_at=None,
        rules=RULES,
        window_days=None,
        now=_at(NOW_DAY),
    )
