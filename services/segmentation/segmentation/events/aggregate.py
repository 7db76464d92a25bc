"""A batch's events folded per user: sums, counts and min/max of timestamps, so the order
events arrive in (late, out of order) never changes the profile they add up to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from segmentation.events.schemas import ValidEvent


@dataclass
class Aggregate:
    first_seen_at: datetime
    last_active_at: datetime
    last_login_at: datetime | None = None
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    order_count: int = 0
    refund_count: int = 0
    monetary: Decimal = Decimal(0)

    def fold(self, event: ValidEvent) -> None:
        at = event.occurred_at
        self.first_seen_at = min(self.first_seen_at, at)
        self.last_active_at = max(self.last_active_at, at)
        if event.type == "login":
            self.last_login_at = at if self.last_login_at is None else max(self.last_login_at, at)
        elif event.type == "purchase":
            self.order_count += 1
            self.monetary += event.amount or 0
            self.first_purchase_at = min(self.first_purchase_at or at, at)
            self.last_purchase_at = max(self.last_purchase_at or at, at)
        elif event.type == "refund":
            self.refund_count += 1
            self.monetary -= event.amount or 0


def per_user(events: Iterable[ValidEvent]) -> list[tuple[str, Aggregate]]:
    """Sorted by user id, so concurrent batches lock shared profiles in the same order (no
    deadlocks)."""
    aggregates: dict[str, Aggregate] = {}
    for event in events:
        aggregate = aggregates.get(event.user_id)
        if aggregate is None:
            aggregate = aggregates[event.user_id] = Aggregate(event.occurred_at, event.occurred_at)
        aggregate.fold(event)
    return sorted(aggregates.items())
