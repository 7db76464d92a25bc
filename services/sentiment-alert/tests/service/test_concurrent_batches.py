"""Concurrent batches of one workspace (PostgreSQL, where transactions really run side by side):
a batch that finds the buckets being folded by another does not wait for it; its increments
stay pending and are folded exactly once — by the next batch or by the job."""

import asyncio

import pytest
from sqlalchemy import func, select

from sentiment_alert.clock import hour_of
from sentiment_alert.jobs import aggregate_pending
from sentiment_alert.mentions.models import KeywordBucket, PendingIncrement
from sentiment_alert.mentions.service import ingest
from sentiment_alert.monitoring.schemas import RuleIn
from sentiment_alert.monitoring.service import create_rule

pytestmark = pytest.mark.parametrize(
    "dialect", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


async def _bucket(database, workspace_id, now) -> tuple[int, int, int, int] | None:
    async with database.session() as session:
        bucket = await session.get(KeywordBucket, (workspace_id, "花西子", hour_of(now)))
        if bucket is None:
            return None
        return (bucket.mentions, bucket.negative, bucket.authors, bucket.negative_authors)


async def _pending(database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(PendingIncrement)) or 0)


async def test_a_batch_never_waits_for_another_and_counts_once(
    database, workspace_id, now, mention
):
    async with database.session() as session, session.begin():
        await create_rule(
            session, workspace_id=workspace_id, data=RuleIn(kind="brand", keyword="花西子")
        )
    first = [mention("花西子太差了", author="a"), mention("花西子不错", author="b")]
    # Other authors: a batch recording an author the other has just recorded in the same hour
    # waits for that one's commit (the test holds it open, so it would wait forever).
    second = [mention("花西子差评", author="c"), mention("花西子好用", author="d")]
    async with database.session() as holding, holding.begin():
        await ingest(holding, workspace_id=workspace_id, items=first, now=now)
        # The first batch holds the workspace's aggregation lock until it commits; the second
        # must finish (not wait on its bucket rows) and leave its increments pending.
        async with database.session() as other, other.begin():
            result = await asyncio.wait_for(
                ingest(other, workspace_id=workspace_id, items=second, now=now), timeout=30
            )
        assert result.accepted == 2
    assert await _bucket(database, workspace_id, now) == (2, 1, 2, 1)
    assert await _pending(database) == 1

    assert await aggregate_pending(database, now=now) == 1
    assert await _bucket(database, workspace_id, now) == (4, 2, 4, 2)
    assert await _pending(database) == 0
    assert await aggregate_pending(database, now=now) == 0
    assert await _bucket(database, workspace_id, now) == (4, 2, 4, 2)


async def test_the_next_batch_folds_what_was_left_pending(database, workspace_id, now, mention):
    async with database.session() as session, session.begin():
        await create_rule(
            session, workspace_id=workspace_id, data=RuleIn(kind="brand", keyword="花西子")
        )
    async with database.session() as holding, holding.begin():
        await ingest(holding, workspace_id=workspace_id, items=[mention("花西子")], now=now)
        async with database.session() as other, other.begin():
            await ingest(other, workspace_id=workspace_id, items=[mention("花西子")], now=now)
    async with database.session() as session, session.begin():
        await ingest(session, workspace_id=workspace_id, items=[mention("花西子")], now=now)
    assert await _pending(database) == 0
    bucket = await _bucket(database, workspace_id, now)
    assert bucket is not None and bucket[0] == 3
