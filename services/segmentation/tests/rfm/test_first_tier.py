"""A user's first value tier is news (user.tier_changed) once the workspace has been fully
scored before; not during that first full scoring, and not for the users of an import."""

from __future__ import annotations

from datetime import timedelta

from segmentation.db import BUS
from segmentation.events.history_import import import_rows
from segmentation.events.service import ingest
from segmentation.rfm.service import rescore
from yunying_shared.testing.outbox import outbox_events

TIER_EVENT = "yunying.user.tier_changed.v1"


async def _tier_events(session):
    events = [e.envelope() for e in await outbox_events(session, BUS)]
    return [e["data"] for e in events if e["type"] == TIER_EVENT]


async def test_first_tiers_are_published_only_after_the_first_full_scoring(
    session, workspace_id, now, crm_event
):
    await ingest(
        session,
        workspace_id=workspace_id,
        now=now,
        items=[crm_event(f"u{i}", "purchase", amount=10 * (i + 1)) for i in range(10)],
    )
    first = await rescore(session, workspace_id=workspace_id, now=now)
    assert first.changed == 10
    assert await _tier_events(session) == []  # the first full scoring assigns, announces none

    later = now + timedelta(hours=1)
    await ingest(
        session,
        workspace_id=workspace_id,
        now=later,
        items=[crm_event("newcomer", "purchase", amount=500, occurred_at=later.isoformat())],
    )
    await import_rows(
        session,
        workspace_id=workspace_id,
        name="old-crm",
        now=later + timedelta(minutes=1),
        items=[crm_event("imported", "purchase", amount=600, days_ago=300)],
    )
    # the import's closing re-score scored the newcomer too: its first tier is news; the
    # imported user's is not (moves between two tiers, as the edges shift, are news as ever)
    firsts = [e for e in await _tier_events(session) if e["from_tier"] is None]
    assert [e["user_id"] for e in firsts] == ["newcomer"]
    assert firsts[0]["to_tier"] is not None and firsts[0]["m_score"] is not None
