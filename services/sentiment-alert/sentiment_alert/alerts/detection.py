"""Running the spike detector over a keyword's stored hourly buckets.

The detector keeps its state in memory, so each evaluation rebuilds it: a fresh detector is fed
the keyword's buckets of the look-back (the seasonal history plus the quiet period, gaps filled
with empty hours) up to and including the current, still filling, hour — so a burst is seen the
minute its counts cross a level, not only when its hour ends. What the replay ends with (an open
alert at some level, or none) is then reconciled with the persisted alert (alerts.service)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.clock import BUCKET, hour_of
from sentiment_alert.mentions.models import KeywordBucket
from sentiment_alert.spikes import AlertLevel, Bucket, DetectorSettings, SpikeDetector


@dataclass(frozen=True, slots=True)
class Ongoing:
    level: AlertLevel
    signals: frozenset[str]
    spike_started_at: datetime
    peak_mentions: int


def lookback(settings: DetectorSettings) -> timedelta:
    return timedelta(days=settings.history_days + 1, hours=settings.quiet_buckets)


Row = tuple[datetime, int, int, int, int]  # start, mentions, authors, negative, negative authors


async def stored_buckets(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    keywords: Sequence[str],
    now: datetime,
    settings: DetectorSettings,
) -> dict[str, list[Row]]:
    """The look-back's buckets of each keyword, in time order, in one query."""
    current_hour = hour_of(now)
    result = await session.execute(
        select(
            KeywordBucket.keyword,
            KeywordBucket.bucket_start,
            KeywordBucket.mentions,
            KeywordBucket.authors,
            KeywordBucket.negative,
            KeywordBucket.negative_authors,
        )
        .where(
            KeywordBucket.workspace_id == workspace_id,
            KeywordBucket.keyword.in_(keywords),
            KeywordBucket.bucket_start >= current_hour - lookback(settings),
            KeywordBucket.bucket_start <= current_hour,
        )
        .order_by(KeywordBucket.keyword, KeywordBucket.bucket_start)
    )
    found: dict[str, list[Row]] = {}
    for keyword, start, mentions, authors, negative, negative_authors in result:
        found.setdefault(keyword, []).append(
            (hour_of(start), mentions, authors, negative, negative_authors)
        )
    return found


def ongoing_spike(
    rows: Sequence[Row], *, now: datetime, settings: DetectorSettings
) -> Ongoing | None:
    """Replays a fresh detector over the buckets (gaps are empty hours) up to the current hour;
    the alert it ends with, if any."""
    if not rows:
        return None
    current_hour = hour_of(now)
    stored = {row[0]: row for row in rows}
    detector = SpikeDetector(settings)
    hot_since: datetime | None = None
    moment = rows[0][0]
    while moment <= current_hour:
        row = stored.get(moment)
        bucket = Bucket(*row) if row is not None else Bucket(moment, 0, 0, 0, 0)
        before = detector.current
        detector.observe(bucket)
        if detector.current is not None and detector.current is not before:
            hot_since = moment
        moment += BUCKET
    alert = detector.current
    if alert is None or hot_since is None:
        return None
    return Ongoing(alert.level, frozenset(alert.signals), hot_since, alert.peak_mentions)
