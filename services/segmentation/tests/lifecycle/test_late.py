"""A late activity event skips re-derivation only when it cannot change the derived history, and
a user only new so far is replayed over two stand-in purchases only when they derive the same
history: both checked against the replay itself on random timelines."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from segmentation.lifecycle.history import OTHER, PURCHASE, REFUND, EventColumns, derive
from segmentation.lifecycle.late import activity_cannot_move, only_new_so_far
from segmentation.lifecycle.rules import DAY, NEW, POTENTIAL, LifecycleRules

RULES = LifecycleRules()
EDGES = {"frequency": [1.0, 2.0, 3.0, 4.0], "monetary": [50.0, 100.0, 200.0, 400.0]}
NOW_DAY = 400.0


def _derived(
    events: list[tuple[int, float, float]],
    *,
    rules: LifecycleRules = RULES,
    window_days: int | None = None,
) -> list[tuple[float, int, int]]:
    kind, day, amount = zip(*events, strict=True) if events else ((), (), ())
    derived = derive(
        EventColumns(
            owner=np.zeros(len(events), dtype=np.int64),
            kind=np.array(kind, dtype=np.int8),
            at=np.array(day, dtype=float) * DAY,
            amount=np.array(amount, dtype=float),
        ),
        rules=rules,
        edges=EDGES,
        window_days=window_days,
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


def _stand_ins(first: float, last: float) -> list[tuple[int, float, float]]:
    return [(PURCHASE, first, 0.0), (PURCHASE, last, 0.0)]


@pytest.mark.parametrize(
    ("rules", "window_days"),
    [
        (RULES, None),
        (RULES, 20),
        # new outlasting churn: the churn condition alone keeps a user new
        (LifecycleRules(new_days=120, churn_purchase_days=25, churn_active_days=10), None),
    ],
)
def test_whenever_it_says_only_new_two_stand_in_purchases_derive_the_same_history(
    rules: LifecycleRules, window_days: int | None
) -> None:
    generator = random.Random(11)
    stood_in = replayed = 0
    for _ in range(3000):
        since = NOW_DAY - generator.choice([35, 150])
        purchases = [
            (
                generator.choice([PURCHASE, PURCHASE, REFUND]),
                generator.uniform(since, NOW_DAY + 1),
                generator.uniform(1, 300),
            )
            for _ in range(generator.choice([1, 2, 3, 6, 12]))
        ]
        activity = [(OTHER, generator.uniform(0, NOW_DAY + 1), 0.0) for _ in range(3)]
        days = [day for kind, day, _ in purchases if kind == PURCHASE]
        only_new = bool(days) and only_new_so_far(
            first_purchase_at=_at(min(days)),
            last_purchase_at=_at(max(days)),
            rules=rules,
            now=_at(NOW_DAY),
        )
        if only_new:
            stood_in += 1
            real = _derived([*purchases, *activity], rules=rules, window_days=window_days)
            stand_in = _derived(
                _stand_ins(min(days), max(days)), rules=rules, window_days=window_days
            )
            assert real == stand_in, (purchases, activity)
            assert [(a, b) for _, a, b in real] == [(POTENTIAL, NEW), (-1, NEW)]
        else:
            replayed += 1
    assert stood_in > 300 and replayed > 300


def test_only_new_needs_the_new_period_running_and_churn_out_of_reach() -> None:
    def only_new(first: float, last: float, rules: LifecycleRules = RULES) -> bool:
        return only_new_so_far(
            first_purchase_at=_at(first), last_purchase_at=_at(last), rules=rules, now=_at(NOW_DAY)
        )

    assert only_new(NOW_DAY - 20, NOW_DAY - 1)
    assert not only_new(NOW_DAY - 31, NOW_DAY - 1)  # the new period is over: active
    assert not only_new(NOW_DAY + 1, NOW_DAY + 2)  # bought after now: nothing derived yet
    long_new = LifecycleRules(new_days=120, churn_purchase_days=25, churn_active_days=10)
    assert only_new(NOW_DAY - 40, NOW_DAY - 20, long_new)
    assert not only_new(NOW_DAY - 60, NOW_DAY - 30, long_new)  # 30 days silent after the last
    assert not only_new(NOW_DAY - 100, NOW_DAY - 1, long_new)  # a 25-day gap may lie between
    assert not only_new_so_far(
        first_purchase_at=None, last_purchase_at=None, rules=RULES, now=_at(NOW_DAY)
    )
