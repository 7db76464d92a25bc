"""Which late events cannot change their user's past, so need no re-derivation.

A late event makes its user's stage history derived again by event time (`rederive`): the
user's events read back, replayed, compared with the stored rows. Most late events are activity
(a login, a page view), and activity enters the rules only through churn ("no purchase for
`churn_purchase_days` and no activity for `churn_active_days`"). While no moment up to now is
`churn_purchase_days` away from a purchase, nobody could have churned, so the history derived
with the activity is the one derived without it (an extra evaluation moment only repeats the
stage of the moment before). Such users are re-staged as live events are, without reading
their events: the common late delivery then costs what a timely one does.

A late purchase does change F, M and the purchase times, but for a user still in the `new`
period whom no silence could have churned, the whole derived history is one move, potential to
new at the first purchase, whatever else they did (`new` outranks loyal and active). Such users
are replayed over two stand-in purchases, their first and their last, instead of their events
(`rederive`): the same history, without reading a user's events back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from segmentation.lifecycle.rules import LifecycleRules

# Event types that move F, M or the purchase times: a late one always re-derives.
MONEY_TYPES = frozenset({"purchase", "refund"})


def activity_cannot_move(
    *,
    first_purchase_at: datetime | None,
    last_purchase_at: datetime | None,
    rules: LifecycleRules,
    window_days: int | None,
    now: datetime,
) -> bool:
    """True when activity events of any time before `now` cannot change the stage history of a
    user with these purchase times (as stored, the late batch bringing no purchase or refund).

    Never bought: potential throughout. Else every gap between purchases is at most
    last - first, and the last is within `churn_purchase_days` of now: if both are shorter than
    that period, a purchase is never silent long enough to churn. An RFM window makes F and M
    fall as purchases age out, which an extra evaluation moment could reveal: never cheap then.
    """
    if window_days:
        return False
    if first_purchase_at is None or last_purchase_at is None:
        return first_purchase_at is None and last_purchase_at is None
    period = timedelta(days=rules.churn_purchase_days)
    # a second of margin: threshold moments are evaluated a millisecond after them
    return (
        last_purchase_at - first_purchase_at < period
        and now + timedelta(seconds=1) < last_purchase_at + period
    )


def only_new_so_far(
    *,
    first_purchase_at: datetime | None,
    last_purchase_at: datetime | None,
    rules: LifecycleRules,
    now: datetime,
) -> bool:
    """True when the stage history derived from any events with these purchase times (the
    profile's, this batch's included) is one move, potential to new at the first purchase.

    Before the first purchase everyone is potential. From it until `now` the user is inside the
    `new` period, and `new` yields only to churn: every gap between purchases is at most
    last - first, and the last is within `churn_purchase_days` of now, so no purchase is ever
    silent long enough. F, M, an RFM window and activity then never show (loyal and active rank
    below new), and neither does the new period's end (after now, so never evaluated).
    """
    if first_purchase_at is None or last_purchase_at is None or first_purchase_at > now:
        return False
    # a second of margin each way: threshold moments are evaluated a millisecond after them,
    # and the replay compares float epoch seconds
    margin = timedelta(seconds=1)
    period = timedelta(days=rules.churn_purchase_days)
    return (
        now + margin < first_purchase_at + timedelta(days=rules.new_days)
        and last_purchase_at - first_purchase_at + margin < period
        and now + margin < last_purchase_at + period
    )
