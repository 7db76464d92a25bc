"""Late batches through ingestion: users only new so far, replayed over two stand-in purchases,
end with the stage rows, published stage events and stages a replay of all their events gives
(the same batches in a second workspace with the stand-ins turned off), on both databases."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import segmentation.afterwrite as afterwrite
import segmentation.lifecycle.rederive as rederive
from segmentation.db import BUS
from segmentation.events.service import ingest
from segmentation.lifecycle.rules import LifecycleRules
from segmentation.records.models import Profile
from segmentation.settings.service import get_settings
from yunying_shared.testing.outbox import outbox_events

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
EDGES = {"frequency": [1.0, 2.0, 3.0, 4.0], "monetary": [50.0, 100.0, 200.0, 400.0]}


def _batches(seed: int) -> list[list[dict[str, Any]]]:
    """Purchases, refunds and logins of 60 users, late and out of order, in 8 batches: each
    user's mostly within 20 days of a day of their own up to 150 days ago (so around the new
    period's end and the churn period alike), some anywhere in the last 400 days."""
    generator = random.Random(seed)
    centre = [generator.uniform(0, 150) for _ in range(60)]
    items = []
    for n in range(480):
        user = generator.randrange(60)
        kind = generator.choice(["purchase", "purchase", "purchase", "refund", "login"])
        if generator.random() < 0.2:
            days_ago = generator.uniform(0, 400)
        else:
            days_ago = max(0.0, centre[user] + generator.uniform(-20, 20))
        item: dict[str, Any] = {
            "event_id": f"e{n}",
            "user_id": f"u{user}",
            "type": kind,
            "occurred_at": (NOW - timedelta(days=days_ago, seconds=n)).isoformat(),
        }
        if kind != "login":
            item |= {"amount": f"{generator.randint(1, 900)}.50", "currency": "CNY"}
        items.append(item)
    return [items[i : i + 60] for i in range(0, len(items), 60)]


async def _outcome(
    session: AsyncSession, workspace_id: UUID, stage_rows: Callable[..., Any]
) -> dict[str, Any]:
    events = [
        e.envelope()
        for e in await outbox_events(session, BUS)
        if e.type == "yunying.user.lifecycle_stage_changed.v1"
    ]
    stages = await session.execute(
        select(Profile.user_id, Profile.stage)
        .where(Profile.workspace_id == workspace_id)
        .order_by(Profile.user_id)
    )
    return {
        "rows": await stage_rows(session, workspace_id),
        "events": [e["data"] for e in events if e.get("workspace") == str(workspace_id)],
        "stages": [tuple(row) for row in stages],
    }


@pytest.mark.parametrize(
    ("seed", "rules"),
    [
        (1, LifecycleRules()),
        # new outlasting churn: the stand-ins then rest on the churn conditions alone
        (2, LifecycleRules(new_days=120, churn_purchase_days=25, churn_active_days=10)),
    ],
)
async def test_users_only_new_so_far_end_as_a_replay_of_all_their_events(
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
    seed: int,
    rules: LifecycleRules,
    stage_rows: Callable[..., Any],
) -> None:
    read: dict[UUID, int] = {}
    load = rederive._load

    async def counted(session: AsyncSession, workspace_id: UUID, user_ids: Any) -> Any:
        read[workspace_id] = read.get(workspace_id, 0) + len(user_ids)
        return await load(session, workspace_id, user_ids)

    monkeypatch.setattr(rederive, "_load", counted)
    found = afterwrite._only_new
    with_stand_ins, replayed = uuid4(), uuid4()
    for workspace_id in (with_stand_ins, replayed):
        settings = await get_settings(session, workspace_id=workspace_id)
        settings.lifecycle_rules = rules.model_dump()
        settings.last_edges = EDGES  # so a replay can make users loyal
    await session.flush()
    for batch in _batches(seed):
        monkeypatch.setattr(afterwrite, "_only_new", found)
        await ingest(session, workspace_id=with_stand_ins, items=batch, now=NOW)
        monkeypatch.setattr(afterwrite, "_only_new", lambda *args, **kwargs: {})
        await ingest(session, workspace_id=replayed, items=batch, now=NOW)
    expected = await _outcome(session, replayed, stage_rows)
    assert await _outcome(session, with_stand_ins, stage_rows) == expected
    assert {row[3] for row in expected["rows"]} >= {"new", "active", "loyal", "churned"}
    assert len(expected["events"]) > 60
    # PostgreSQL read the events of fewer users (the stand-ins'); SQLite replays them all
    if dialect == "postgresql":
        assert read.get(with_stand_ins, 0) < read[replayed]
    else:
        assert read[with_stand_ins] == read[replayed]
