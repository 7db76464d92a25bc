"""A stage history derived by event time: the lifecycle rules replayed over users' events, as
they would have fired at the time.

Pure and vectorised over many users at once (one backfilled batch, or a whole import). A stage
can only change at an event (a purchase, a return after silence, a score crossing the loyal
line) or when a silence or the `new` period reaches its threshold, so the rules are evaluated at
exactly those moments, each with the user's running aggregates as they stood then:

- after each event (the last one of equal timestamps), as of that event;
- when the `new` period ends (first purchase + `new_days`);
- when the silence after an event reaches the churn thresholds, if no event came before.

The rules are the ones live ingestion and the sweep apply (`evaluate_stages`); a threshold
moment is evaluated a millisecond after it (the rules compare inclusively: the moment itself is
still inside the period) and the transition is dated at the moment. F and M scores at a past
moment bin the user's running order count and net spend with the workspace's current edges
(the edges of that time were never stored); without edges nobody is loyal, as live. With an RFM
window, F and M count the purchases within the window before each event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from segmentation.lifecycle.rules import DAY, POTENTIAL, LifecycleRules, evaluate_stages

OTHER, PURCHASE, REFUND = 0, 1, 2
NUDGE = 0.001  # seconds after a threshold moment at which the rules see it passed


@dataclass(frozen=True)
class EventColumns:
    """Users' events as columns: `owner` groups a user's events (any integer key)."""

    owner: np.ndarray  # int64
    kind: np.ndarray  # int8: OTHER, PURCHASE, REFUND
    at: np.ndarray  # float epoch seconds
    amount: np.ndarray  # float, 0 when none


@dataclass(frozen=True)
class Derived:
    """Transitions in order (by owner, then time), and each owner's stage at the end."""

    owner: np.ndarray
    at: np.ndarray
    from_stage: np.ndarray  # int8 stage codes
    to_stage: np.ndarray
    owners: np.ndarray  # every owner replayed, ascending
    final_stage: np.ndarray  # aligned with `owners`


def _score(values: np.ndarray, edges: list[float] | None) -> np.ndarray:
    """As the re-score bins F and M: 1 + number of edges strictly below the value (floats;
    NaN without edges, so nobody is loyal before the workspace's first scoring)."""
    if not edges:
        return np.full(len(values), np.nan)
    bins = np.searchsorted(np.asarray(edges, dtype=float), values, side="left")
    scores: np.ndarray = (1 + bins).astype(float)
    return scores


def _cents(money: np.ndarray) -> np.ndarray:
    """Amounts as whole cents (they are stored as numeric(18, 2)): running sums of them are
    exact, so a user's M is the same whichever other users are replayed with them (a float
    running sum over the whole batch, less the group's start, carries the batch's rounding
    error, and a total on a score's edge could land on either side) and equals the profile's
    exact total."""
    cents: np.ndarray = np.rint(money * 100).astype(np.int64)
    return cents


def _within_group(values: np.ndarray, starts: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running sum of `values` restarting at each group."""
    total = np.cumsum(values)
    before = total[starts] - values[starts]
    result: np.ndarray = total - before[group]
    return result


def derive(
    events: EventColumns,
    *,
    rules: LifecycleRules,
    edges: dict[str, list[float]] | None,
    window_days: int | None,
    now: float,
) -> Derived:
    order = np.lexsort((events.at, events.owner))
    owner = events.owner[order].astype(np.int64)
    kind = events.kind[order]
    at = events.at[order].astype(float)
    amount = np.nan_to_num(events.amount[order].astype(float))
    size = len(owner)
    if size == 0:
        empty = np.zeros(0)
        codes = np.zeros(0, dtype=np.int8)
        return Derived(empty.astype(np.int64), empty, codes, codes, empty.astype(np.int64), codes)
    starts_mask = np.r_[True, owner[1:] != owner[:-1]]
    starts = np.flatnonzero(starts_mask)
    group = np.cumsum(starts_mask) - 1
    ends = np.r_[starts[1:], size] - 1
    position = np.arange(size)
    purchase = kind == PURCHASE
    money = np.where(purchase, amount, np.where(kind == REFUND, -amount, 0.0))

    # Running aggregates as of each event (after it).
    last_purchase_index = np.maximum.accumulate(np.where(purchase, position, -1))
    bought = last_purchase_index >= starts[group]
    last_purchase = np.where(bought, at[np.maximum(last_purchase_index, 0)], np.nan)
    first_index = np.full(len(starts), size, dtype=np.int64)
    np.minimum.at(first_index, group[purchase], position[purchase])
    first_of_group = first_index[group]
    first_purchase = np.where(
        first_of_group <= position, at[np.minimum(first_of_group, size - 1)], np.nan
    )
    if window_days:
        frequency, monetary = _windowed(group, at, purchase.astype(float), money, window_days)
    else:
        frequency = _within_group(purchase.astype(float), starts, group)
        monetary = _within_group(_cents(money), starts, group) / 100
    f_score = _score(frequency, (edges or {}).get("frequency"))
    m_score = _score(monetary, (edges or {}).get("monetary"))
    f_score[~bought] = np.nan
    m_score[~bought] = np.nan

    # Candidate moments: (state row, dated at, evaluated at).
    last_of_moment = np.r_[(owner[1:] != owner[:-1]) | (at[1:] != at[:-1]), True]
    event_rows = np.flatnonzero(last_of_moment)
    next_at = np.where(position < ends[group], at[np.minimum(position + 1, size - 1)], np.inf)
    silence = np.fmax(
        last_purchase + rules.churn_purchase_days * DAY, at + rules.churn_active_days * DAY
    )
    churn_rows = event_rows[
        bought[event_rows]
        & (silence[event_rows] < next_at[event_rows])
        & (silence[event_rows] <= now)
    ]
    first_purchase_at = np.full(len(starts), np.nan)
    has_purchase = first_index < size
    first_purchase_at[has_purchase] = at[first_index[has_purchase]]
    new_end = first_purchase_at + rules.new_days * DAY
    new_groups = np.flatnonzero(has_purchase & (new_end <= now))
    # the state then: the last event of the group at or before the moment
    new_rows = (
        np.searchsorted(
            _keys(owner, at), _keys(owner[starts[new_groups]], new_end[new_groups]), side="right"
        )
        - 1
    )

    rows = np.concatenate([event_rows, churn_rows, new_rows])
    dated = np.concatenate([at[event_rows], silence[churn_rows], new_end[new_groups]])
    evaluated = (
        dated + np.r_[np.zeros(len(event_rows)), np.full(len(churn_rows) + len(new_rows), NUDGE)]
    )
    keep = dated <= now
    rows, dated, evaluated = rows[keep], dated[keep], evaluated[keep]
    ordering = np.lexsort((evaluated, owner[rows]))
    rows, dated, evaluated = rows[ordering], dated[ordering], evaluated[ordering]
    stage = evaluate_stages(
        rules,
        now=evaluated,
        first_purchase=first_purchase[rows],
        last_purchase=last_purchase[rows],
        last_active=at[rows],
        f_score=f_score[rows],
        m_score=m_score[rows],
    )
    who = owner[rows]
    first_moment = np.r_[True, who[1:] != who[:-1]]
    previous = np.r_[np.int8(POTENTIAL), stage[:-1]].astype(np.int8)
    previous[first_moment] = POTENTIAL
    moved = stage != previous
    last_moment = np.r_[who[1:] != who[:-1], True]
    return Derived(
        owner=who[moved],
        at=dated[moved],
        from_stage=previous[moved],
        to_stage=stage[moved],
        owners=who[last_moment],
        final_stage=stage[last_moment],
    )


def _keys(owner: np.ndarray, at: np.ndarray) -> np.ndarray:
    """(owner, time) pairs as a structured array: sorted and searched lexicographically."""
    keys = np.empty(len(owner), dtype=[("owner", np.int64), ("at", float)])
    keys["owner"] = owner
    keys["at"] = at
    return keys


def _windowed(
    group: np.ndarray,
    at: np.ndarray,
    purchases: np.ndarray,
    money: np.ndarray,
    window_days: int,
) -> tuple[np.ndarray, np.ndarray]:
    """F and M over the purchases within the window before each event (the live re-score
    counts purchases and refunds since `now - window`)."""
    keys = _keys(group, at)
    since = np.searchsorted(keys, _keys(group, at - window_days * DAY), side="left")
    running_f = np.cumsum(purchases)
    running_m = np.cumsum(_cents(money))
    before_f = np.where(since > 0, running_f[np.maximum(since - 1, 0)], 0.0)
    before_m = np.where(since > 0, running_m[np.maximum(since - 1, 0)], 0)
    # the window never reaches into the previous group: its start is at or after the group's
    return running_f - before_f, (running_m - before_m) / 100
