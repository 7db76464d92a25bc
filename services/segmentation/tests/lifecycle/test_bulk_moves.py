"""The import's stage moves stored and published in SQL (lifecycle.bulk_moves, PostgreSQL) give
the rows and event bytes `record_transitions` gives: the same history imported into two
workspaces, one through each path, stores the same stage rows in the same order and publishes
the same events (ids, the envelope's time and the workspace aside), including users who had
stage rows before the import (only their new moves are published) and user ids JSON escapes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import numpy as np
import pytest
from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.db import BUS
from segmentation.events.history_import import import_rows
from segmentation.events.service import ingest
from segmentation.lifecycle import rederive
from segmentation.lifecycle.compact_moves import EXPANSION
from yunying_shared.bus.packed import PACK_EVENTS, events_of
from yunying_shared.testing.outbox import outbox_events

NOW = datetime(2026, 6, 1, 12, 0, 0, 250_000, tzinfo=UTC)
STAGE_EVENT = "yunying.user.lifecycle_stage_changed.v1"
USERS = ["plain", 'quo"te', "back\\slash", "用户-é"]  # ids JSON escapes, or not ASCII


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _history(seed: int) -> list[dict[str, Any]]:
    """Purchases, refunds and logins of 60 users over two years up to NOW (some within the
    last day: moves that are not historical), times with and without microseconds."""
    rng = np.random.default_rng(seed)
    users = [*USERS, *(f"u{i}" for i in range(56))]
    items = []
    for i in range(600):
        user = users[int(rng.integers(len(users)))]
        kind = str(rng.choice(["purchase", "login", "refund"], p=[0.5, 0.4, 0.1]))
        back = float(rng.uniform(0, 730)) if i % 50 else float(rng.uniform(0, 0.9))
        at = NOW - timedelta(days=back)
        if i % 3 == 0:
            at = at.replace(microsecond=0)
        item: dict[str, Any] = {
            "event_id": f"e{i}",
            "user_id": user,
            "type": kind,
            "occurred_at": at.isoformat(),
        }
        if kind != "login":
            item["amount"] = round(float(rng.gamma(2.0, 80.0)), 2)
            item["currency"] = "CNY"
        items.append(item)
    return items


async def _import(
    session: AsyncSession, workspace_id: UUID, items: list[dict[str, Any]], sql_from: int
) -> None:
    """A live purchase today for a few users, then the history in two imports: the second
    re-derives users who have stage rows (only their new moves are published)."""
    live = [
        {
            "event_id": f"live-{user}",
            "user_id": user,
            "type": "purchase",
            "occurred_at": (NOW - timedelta(minutes=5)).isoformat(),
            "amount": 10,
            "currency": "CNY",
        }
        for user in ("plain", "u1", "u2", "u3")
    ]
    await ingest(session, workspace_id=workspace_id, items=live, now=NOW - timedelta(minutes=1))
    original = rederive.SQL_MOVES_FROM
    rederive.SQL_MOVES_FROM = sql_from
    try:
        for name, part in (("crm", items[:450]), ("crm-late", items[450:])):
            await import_rows(session, workspace_id=workspace_id, items=part, name=name, now=NOW)
    finally:
        rederive.SQL_MOVES_FROM = original


def _comparable(value: bytes, workspace_id: UUID) -> bytes:
    """The envelope's bytes with what differs between two publications taken out."""
    text = value.decode()
    text = re.sub(r'^\{"id":"[0-9a-f-]{36}"', '{"id":"-"', text)
    text = re.sub(r',"time":"[^"]+"', ',"time":"-"', text, count=1)
    return text.replace(str(workspace_id), "-").encode()


async def test_moves_in_sql_are_the_rows_and_bytes_record_transitions_writes(
    session: AsyncSession, stage_rows: Callable[..., Any]
) -> None:
    items = _history(7)
    in_sql, in_python = uuid4(), uuid4()
    seen = len(await outbox_events(session, BUS))
    await _import(session, in_sql, items, sql_from=0)
    after_sql = await outbox_events(session, BUS)
    await _import(session, in_python, items, sql_from=10**9)
    after_python = await outbox_events(session, BUS)

    rows = await stage_rows(session, in_sql)
    assert rows == await stage_rows(session, in_python)
    assert len(rows) > 100
    assert {row[0] for row in rows} >= set(USERS)

    def stage_events(events: list[Any], workspace_id: UUID) -> list[tuple[Any, ...]]:
        return [
            (e.topic, e.key, e.headers, _comparable(e.value, workspace_id))
            for e in events
            if e.type == STAGE_EVENT and e.envelope()["workspace"] == str(workspace_id)
        ]

    published_sql = stage_events(after_sql[seen:], in_sql)
    published_python = stage_events(after_python[len(after_sql) :], in_python)
    assert published_sql == published_python
    payloads = [json.loads(value[3])["data"] for value in published_sql]
    assert {p["historical"] for p in payloads} == {True, False}
    assert any("." in p["changed_at"] for p in payloads)  # microseconds written
    assert any("." not in p["changed_at"] for p in payloads)
    # Every stored move was published, once: the second import published only new moves.
    moves = [(p["user_id"], p["from_stage"], p["to_stage"], p["changed_at"]) for p in payloads]
    assert len(moves) == len(set(moves))
    stored = {(r[0], r[2], r[3], r[5].isoformat().replace("+00:00", "Z")) for r in rows}
    assert stored <= set(moves)


async def test_moves_in_sql_are_stored_compact_and_expand_to_the_same_events_every_time(
    session: AsyncSession,
) -> None:
    """PostgreSQL writes no stage envelope: up to PACK_EVENTS moves per expanded row, 30 bytes
    a move plus its user id; the relay builds the events, and a row published again after a
    crash gives the same event ids (they are stored, not made by the expansion)."""
    items = _history(11)
    workspace_id = uuid4()
    outbox = BUS.outbox
    first = (await session.execute(select(func.coalesce(func.max(outbox.c.seq), 0)))).scalar()
    await _import(session, workspace_id, items, sql_from=0)
    rows = (
        await session.execute(
            select(outbox.c.value, outbox.c.packed, cast(outbox.c.headers, Text).label("text"))
            .where(outbox.c.seq > first, outbox.c.packed.is_not(None))
            .order_by(outbox.c.seq)
        )
    ).all()
    stage_rows = [row for row in rows if json.loads(row.text).get("expand") == EXPANSION]
    assert stage_rows
    assert all(1 <= row.packed <= PACK_EVENTS for row in stage_rows)
    longest = max(len(user.encode()) for user in {item["user_id"] for item in items})
    assert all(len(row.value) <= 4 + row.packed * (30 + longest) for row in stage_rows)
    for row in stage_rows:
        events = list(events_of(row.value, row.text))
        assert len(events) == row.packed
        assert events == list(events_of(row.value, row.text))
        ids = [json.loads(event.value)["id"] for event in events]
        assert len(set(ids)) == len(ids)
        assert {json.loads(event.value)["workspace"] for event in events} == {str(workspace_id)}


def test_microseconds_round_as_fromtimestamp() -> None:
    rng = np.random.default_rng(3)
    at = np.r_[
        rng.uniform(-1e9, 2e9, 20_000),
        np.round(rng.uniform(0, 2e9, 20_000), 6),
        np.floor(rng.uniform(0, 2e9, 1_000)) + 0.5e-6,
        [0.0, -0.5e-6, 1.5e-6, 1704067200.0000005],
    ]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    expected = [
        (datetime.fromtimestamp(value, UTC) - epoch) // timedelta(microseconds=1)
        for value in at.tolist()
    ]
    assert rederive.micros(at).tolist() == expected
