"""Spike and shift detection over one series of time buckets (one workspace and keyword), with
the alert state machine: one ongoing spike is one alert that opens, escalates and closes.

Signals per bucket, each against its seasonal baseline (baseline.py):
- volume: mentions, and — the flood guard — distinct authors by the same measure; the volume
  level is the lower of the two, so one author posting a thousand times moves mentions but not
  authors and raises nothing;
- negative share: the share of negative authors among authors (of negative mentions among
  mentions when author counts are absent), tested against the baseline share as a binomial.
The bucket's level is the higher of the two signals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sentiment_alert.spikes.baseline import Expected, SeasonalBaseline
from sentiment_alert.spikes.settings import AlertLevel, DetectorSettings

Signal = Literal["volume", "negative_share"]
EventKind = Literal["opened", "escalated", "closed"]
MIN_BASELINE_SHARE = 0.02


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    mentions: int
    authors: int | None = None  # distinct authors; None when the source does not say
    negative: int | None = None  # negative mentions
    negative_authors: int | None = None  # distinct authors of negative mentions


@dataclass(frozen=True, slots=True)
class Verdict:
    level: AlertLevel
    volume_level: AlertLevel
    author_level: AlertLevel | None
    negative_level: AlertLevel
    expected_mentions: Expected | None

    @property
    def signals(self) -> frozenset[Signal]:
        found: set[Signal] = set()
        if self.level and min(self.volume_level, self.author_level or 9) == self.level:
            found.add("volume")
        if self.level and self.negative_level == self.level:
            found.add("negative_share")
        return frozenset(found)


@dataclass(slots=True)
class Alert:
    number: int
    opened_at: datetime  # the end of the bucket that opened it: when it could first be known
    level: AlertLevel
    signals: set[Signal]
    peak_mentions: int
    escalations: list[tuple[datetime, AlertLevel]] = field(default_factory=list)
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertEvent:
    kind: EventKind
    at: datetime
    alert: Alert
    level: AlertLevel


def level_for(settings: DetectorSettings, expected: Expected | None, value: float) -> AlertLevel:
    if expected is None:
        return AlertLevel.NONE
    z, ratio = expected.robust_z(value), expected.ratio(value)
    reached = AlertLevel.NONE
    for threshold in settings.thresholds:
        if z >= threshold.robust_z and ratio >= threshold.ratio:
            reached = threshold.level
    return reached


def negative_level_for(
    settings: DetectorSettings, baseline_share: Expected | None, negative: int, total: int
) -> AlertLevel:
    if baseline_share is None or total <= 0 or negative < settings.min_negative_mentions:
        return AlertLevel.NONE
    expected_share = min(max(baseline_share.median, MIN_BASELINE_SHARE), 1 - MIN_BASELINE_SHARE)
    share = negative / total
    binomial_z = (negative - total * expected_share) / math.sqrt(
        total * expected_share * (1 - expected_share)
    )
    reached = AlertLevel.NONE
    for threshold in settings.thresholds:
        rise = share - expected_share
        if binomial_z >= threshold.robust_z and rise >= threshold.negative_share_rise:
            reached = threshold.level
    return reached


class SpikeDetector:
    """Feed buckets in time order, without gaps (an empty bucket is a bucket with 0 mentions)."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        self._mentions = SeasonalBaseline(self.settings)
        self._authors = SeasonalBaseline(self.settings)
        self._negative_share = SeasonalBaseline(self.settings)
        self._last_start: datetime | None = None
        self._alerts = 0
        self._hot_run = 0
        self._quiet_run = 0
        self.current: Alert | None = None

    def judge(self, bucket: Bucket) -> Verdict:
        settings = self.settings
        expected = self._mentions.expected(bucket.start)
        volume_level = level_for(settings, expected, bucket.mentions)
        author_level: AlertLevel | None = None
        if bucket.authors is not None:
            author_level = AlertLevel.NONE
            if bucket.authors >= settings.min_distinct_authors:
                author_level = level_for(
                    settings, self._authors.expected(bucket.start), bucket.authors
                )
        negative_level = AlertLevel.NONE
        negative, total = self._negative_counts(bucket)
        if negative is not None and total is not None:
            negative_level = negative_level_for(
                settings, self._negative_share.expected(bucket.start), negative, total
            )
            if bucket.authors is not None and bucket.authors < settings.min_distinct_authors:
                negative_level = AlertLevel.NONE
        guarded_volume = min(volume_level, author_level if author_level is not None else 9)
        level = AlertLevel(max(guarded_volume, negative_level))
        return Verdict(level, volume_level, author_level, negative_level, expected)

    def observe(self, bucket: Bucket) -> list[AlertEvent]:
        if self._last_start is not None and bucket.start <= self._last_start:
            raise ValueError(f"bucket {bucket.start} is not after {self._last_start}")
        self._last_start = bucket.start
        verdict = self.judge(bucket)
        self._record(bucket)
        end = bucket.start + timedelta(minutes=self.settings.bucket_minutes)
        return self._advance(verdict, bucket, end)

    def _negative_counts(self, bucket: Bucket) -> tuple[int | None, int | None]:
        if bucket.negative_authors is not None and bucket.authors is not None:
            return bucket.negative_authors, bucket.authors
        return bucket.negative, bucket.mentions if bucket.negative is not None else None

    def _record(self, bucket: Bucket) -> None:
        self._mentions.record(bucket.start, bucket.mentions)
        if bucket.authors is not None:
            self._authors.record(bucket.start, bucket.authors)
        negative, total = self._negative_counts(bucket)
        if negative is not None and total:
            self._negative_share.record(bucket.start, negative / total)

    def _advance(self, verdict: Verdict, bucket: Bucket, end: datetime) -> list[AlertEvent]:
        alert = self.current
        if verdict.level == AlertLevel.NONE:
            self._hot_run = 0
            if alert is None:
                return []
            self._quiet_run += 1
            if self._quiet_run < self.settings.quiet_buckets:
                return []
            alert.closed_at = end
            self.current = None
            self._quiet_run = 0
            return [AlertEvent("closed", end, alert, alert.level)]
        self._quiet_run = 0
        self._hot_run += 1
        if alert is None:
            if self._hot_run < self.settings.confirm_buckets:
                return []
            self._alerts += 1
            alert = Alert(self._alerts, end, verdict.level, set(verdict.signals), bucket.mentions)
            self.current = alert
            return [AlertEvent("opened", end, alert, alert.level)]
        alert.peak_mentions = max(alert.peak_mentions, bucket.mentions)
        alert.signals |= verdict.signals
        if verdict.level <= alert.level:
            return []
        alert.level = verdict.level
        alert.escalations.append((end, verdict.level))
        return [AlertEvent("escalated", end, alert, verdict.level)]
