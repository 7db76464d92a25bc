"""Ingestion on SQLite and PostgreSQL: per-item rejection naming the field, dedup, language,
score, rule matching through the shared normalisation, hourly aggregates, mention.scored."""

from datetime import timedelta

from sqlalchemy import select

from sentiment_alert.clock import hour_of
from sentiment_alert.db import BUS
from sentiment_alert.mentions.models import KeywordBucket, Mention
from sentiment_alert.mentions.service import ingest
from sentiment_alert.monitoring.schemas import RuleIn
from sentiment_alert.monitoring.service import create_rule
from yunying_shared.testing.outbox import outbox_events


async def _rules(session, workspace_id):
    await create_rule(
        session,
        workspace_id=workspace_id,
        data=RuleIn(kind="brand", keyword="花西子", terms=["Florasis", "空气散粉"]),
    )
    await create_rule(session, workspace_id=workspace_id, data=RuleIn(kind="risk", keyword="过敏"))


async def test_bad_items_are_rejected_alone_naming_the_field(session, workspace_id, now, mention):
    items = [
        mention("  "),
        mention("x" * 10_001),
        mention("好用", platform="facebook"),
        mention("好用", hours_ago=-25),
        mention("好用", posted_at="yesterday"),
        mention("好用", likes=-1),
        "not an object",
        mention("好用"),
    ]
    result = await ingest(session, workspace_id=workspace_id, items=items, now=now)
    assert (result.accepted, result.rejected) == (1, 7)
    fields = [r.errors[0].field if r.errors else None for r in result.results]
    assert fields == ["text", "text", "platform", "posted_at", "posted_at", "likes", "item", None]
    assert "future" in result.results[3].errors[0].message


async def test_duplicates_count_once_within_and_across_batches(session, workspace_id, now, mention):
    first = mention("不错", platform_id="p-1")
    again = dict(first)
    result = await ingest(session, workspace_id=workspace_id, items=[first, again], now=now)
    assert (result.accepted, result.duplicates) == (1, 1)
    retry = await ingest(session, workspace_id=workspace_id, items=[first], now=now)
    assert (retry.accepted, retry.duplicates) == (0, 1)
    other_platform = mention("不错", platform_id="p-1", platform="douyin")
    assert (
        await ingest(session, workspace_id=workspace_id, items=[other_platform], now=now)
    ).accepted == 1
    count = len(
        (
            await session.scalars(select(Mention.id).where(Mention.workspace_id == workspace_id))
        ).all()
    )
    assert count == 2


async def test_scored_matched_and_aggregated(session, workspace_id, now, mention):
    await _rules(session, workspace_id)
    items = [
        mention("花.西.子的空气散粉用了過敏，太差了", author="a"),  # symbols, traditional
        mention("ＦＬＯＲＡＳＩＳ powder is amazing, love it", author="b"),  # full width
        mention("花西子又过敏了，差评", author="a"),  # same author again
        mention("今天天气不错", author="c"),  # matches nothing
    ]
    result = await ingest(session, workspace_id=workspace_id, items=items, now=now)
    assert result.accepted == 4
    by_index = {r.index: r for r in result.results}
    assert by_index[0].keywords == ["花西子", "过敏"] and by_index[0].label == "neg"
    assert by_index[1].keywords == ["花西子"] and by_index[1].label == "pos"
    assert by_index[3].keywords == []
    languages = dict(
        (
            await session.execute(
                select(Mention.author, Mention.language).where(Mention.workspace_id == workspace_id)
            )
        ).all()
    )
    assert languages["b"] == "en" and languages["c"] == "zh"

    bucket = await session.get(KeywordBucket, (workspace_id, "花西子", hour_of(now)))
    assert (bucket.mentions, bucket.negative, bucket.authors, bucket.negative_authors) == (
        3,
        2,
        2,
        1,
    )
    # A later batch folds into the same hour; a known author adds no author.
    more = [mention("花西子太差了，退款", author="a"), mention("花西子不好用，差评", author="d")]
    await ingest(session, workspace_id=workspace_id, items=more, now=now)
    await session.refresh(bucket)
    assert (bucket.mentions, bucket.negative, bucket.authors, bucket.negative_authors) == (
        5,
        4,
        3,
        2,
    )

    outbox = [e.topic for e in await outbox_events(session, BUS)]
    assert outbox.count("sentiment.mention.v1") == 6


async def test_mentions_land_in_the_hour_they_were_posted(session, workspace_id, now, mention):
    await _rules(session, workspace_id)
    await ingest(
        session,
        workspace_id=workspace_id,
        items=[mention("花西子", hours_ago=3), mention("花西子", hours_ago=0)],
        now=now,
    )
    hours = (
        await session.scalars(
            select(KeywordBucket.bucket_start)
            .where(KeywordBucket.workspace_id == workspace_id)
            .order_by(KeywordBucket.bucket_start)
        )
    ).all()
    assert [hour_of(h) for h in hours] == [hour_of(now) - timedelta(hours=3), hour_of(now)]
