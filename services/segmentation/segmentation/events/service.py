"""Ingestion: validate each item, store new events, fold them into profiles, then the
after-write pipeline (re-stage, tag rules, memberships) once for the batch.

One batch is a handful of statements whatever its size: one INSERT ... ON CONFLICT DO NOTHING
RETURNING for the events (the unique (workspace, event_id) makes a CRM retry a no-op), one upsert
for the profiles it touches, then updates only for users whose stage changed. Aggregates are
order-independent (sums, counts, min/max of timestamps), so late and out-of-order events land
where they belong. How each statement is sent per database is events.storage's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.afterwrite import Touched, after_write
from segmentation.clock import utcnow
from segmentation.events.aggregate import per_user
from segmentation.events.republish import republish_accepted
from segmentation.events.schemas import (
    BatchResult,
    ItemResult,
    Rejection,
    ValidEvent,
    validate_item,
)
from segmentation.events.storage import STORAGE

# The valid items' results, validated as one list: one call into pydantic's core instead of an
# `ItemResult(...)` per item (2.4 against 4.8 µs per item, timeit under load, session 9).
_ITEM_RESULTS = TypeAdapter(list[ItemResult])


def validate_batch(
    items: Sequence[Any], now: datetime
) -> tuple[list[ItemResult], list[tuple[int, ValidEvent]]]:
    """Each item checked alone: the rejected ones and repeats within the batch as results, the
    valid ones with their index."""
    results: list[ItemResult] = []
    valid: list[tuple[int, ValidEvent]] = []
    seen: set[str] = set()
    for index, raw in enumerate(items):
        checked = validate_item(raw, now)
        if isinstance(checked, Rejection):
            event_id = raw.get("event_id") if isinstance(raw, dict) else None
            results.append(
                ItemResult(
                    index=index,
                    event_id=event_id if isinstance(event_id, str) else None,
                    status="rejected",
                    errors=checked.errors,
                )
            )
        elif checked.event_id in seen:
            results.append(ItemResult(index=index, event_id=checked.event_id, status="duplicate"))
        else:
            seen.add(checked.event_id)
            valid.append((index, checked))
    return results, valid


async def ingest(
    session: AsyncSession, *, workspace_id: UUID, items: Sequence[Any], now: datetime | None = None
) -> BatchResult:
    now = now or utcnow()
    results, valid = validate_batch(items, now)
    storage = STORAGE.of(session)
    new = [e for _, e in valid]
    inserted = await storage.insert_events(session, workspace_id, new, now) if new else set()
    accepted = [event for _, event in valid if event.event_id in inserted]
    results.extend(
        _ITEM_RESULTS.validate_python(
            [
                {
                    "index": index,
                    "event_id": event.event_id,
                    "status": "accepted" if event.event_id in inserted else "duplicate",
                    "extra_truncated": event.extra_truncated,
                }
                for index, event in valid
            ]
        )
    )
    if accepted:
        await republish_accepted(session, workspace_id=workspace_id, events=accepted)
        aggregates = per_user(accepted)
        profiles = await storage.upsert_profiles(session, workspace_id, aggregates, now)
        await after_write(
            session,
            workspace_id=workspace_id,
            touched=Touched(
                profiles=profiles,
                events=accepted,
                earliest={user: a.first_seen_at for user, a in aggregates},
            ),
            now=now,
        )
    results.sort(key=lambda r: r.index)
    counts = {
        status: sum(r.status == status for r in results)
        for status in ("accepted", "duplicate", "rejected")
    }
    return BatchResult(
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        results=results,
    )
