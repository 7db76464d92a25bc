"""Lifecycle rules, configurable per workspace; evaluated vectorised over many profiles at once,
so ingestion (a batch's users) and the sweep (a whole workspace) apply the very same rules."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

STAGES = ("potential", "new", "active", "loyal", "churned")
POTENTIAL, NEW, ACTIVE, LOYAL, CHURNED = range(len(STAGES))
DAY = 86_400.0

REASONS = {
    POTENTIAL: "no purchase yet",
    NEW: "first purchase within {new_days} days",
    ACTIVE: "purchased, neither new, loyal nor churned",
    LOYAL: "F score >= {loyal_min_f} and M score >= {loyal_min_m}",
    CHURNED: (
        "no purchase for {churn_purchase_days} days and no activity for {churn_active_days} days"
    ),
}


class LifecycleRules(BaseModel):
    """Defaults from the issue; `churn_active_days` counts any event (a login or a page view)."""

    new_days: int = Field(default=30, ge=1, le=3650)
    churn_purchase_days: int = Field(default=90, ge=1, le=3650)
    churn_active_days: int = Field(default=30, ge=1, le=3650)
    loyal_min_f: int = Field(default=4, ge=1, le=5)
    loyal_min_m: int = Field(default=4, ge=1, le=5)
    # Events older than this, when they reach a user, make the stage history derived by event
    # time (a backfill or a late delivery); transitions dated earlier than this are historical.
    history_after_hours: int = Field(
        default=24,
        ge=1,
        le=720,
        description="Events reaching a user this many hours or more after they happened (an "
        "import, a backfill, a late delivery) make that user's stage history derived by event "
        "time; moves dated earlier than this are published with `historical: true`",
    )

    def reason(self, stage: int, previous: int | None) -> str:
        text = REASONS[stage].format(**self.model_dump())
        if previous == CHURNED and stage != CHURNED:
            return f"came back after churn: {text}"
        return text


def evaluate_stages(
    rules: LifecycleRules,
    *,
    now: float | np.ndarray,
    first_purchase: np.ndarray,
    last_purchase: np.ndarray,
    last_active: np.ndarray,
    f_score: np.ndarray,
    m_score: np.ndarray,
) -> np.ndarray:
    """Stage codes as of `now` (one moment, or one per row when replaying a history). Times
    are epoch seconds, scores floats; NaN means none.

    Precedence: potential (never purchased) > churned > new > loyal > active. NaN comparisons
    are False, so a missing score never makes anyone loyal and missing activity counts as silence.
    """
    purchased = ~np.isnan(last_purchase)
    with np.errstate(invalid="ignore"):
        silent_purchase = ~(last_purchase >= now - rules.churn_purchase_days * DAY)
        silent_active = ~(last_active >= now - rules.churn_active_days * DAY)
        is_new = first_purchase >= now - rules.new_days * DAY
        is_loyal = (f_score >= rules.loyal_min_f) & (m_score >= rules.loyal_min_m)
    stages = np.full(last_purchase.shape, ACTIVE, dtype=np.int8)
    stages[is_loyal] = LOYAL
    stages[is_new] = NEW
    stages[silent_purchase & silent_active] = CHURNED
    stages[~purchased] = POTENTIAL
    return stages
