"""Running the spike detector over a keyword's stored hourly buckets.

The detector keeps its state in memory, so each evaluation rebuilds it: a fresh detector is fed
the keyword's buckets of the look-back (the seasonal history plus the quiet period, gaps filled
with empty hours) up to and including the current, still filling, hour — so a burst is seen the
minute its counts cross a level, not only when its hour ends. What the replay ends with (an open
alert at some level, or none) is then reconciled with the persisted alert (alerts.service)."""

from __future__ import annotations

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


async def ongoing_spike(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    keyword: str,
    now: datetime,
    settings: DetectorSettings,
) -> Ongoing | None:
    current_hour = hour_of(now)
    rows = (
        await session.execute(
            select(
                KeywordBucket.bucket_start,
                KeywordBucket.mentions,
                KeywordBucket.authors,
                KeywordBucket.negative,
                KeywordBucket.negative_authors,
            )
            .where(
                KeywordBucket.workspace_id == workspace_id,
                KeywordBucket.keyword == keyword,
                KeywordBucket.bucket_start >= current_hour - lookback(settings),
                KeywordBucket.bucket_start <= current_hour,
            )
            .order_by(KeywordBucket.bucket_start)
        )
    ).all()
    if not rows:
        return None
    stored = {hour_of(row[0]): row for row in rows}
    detector = SpikeDetector(settings)
    start = hour_of(rows[0][0])
    hot_since: datetime | None = None
    moment = start
    while moment <= current_hour:
        row = stored.get(moment)
        bucket = (
            Bucket(moment, row[1], row[2], row[3], row[4])
            if row is not None
            else Bucket(moment, 0, 0, 0, 0)
        )
        before = detector.current
        detector.observe(bucket)
        if detector.current is not None and detector.current is not before:
            hot_since = moment
        moment += BUCKET
    alert = detector.current
    if alert is None or hot_since is None:
        return None
    return Ongoing(alert.level, frozenset(alert.signals), hot_since, alert.peak_mentions)
