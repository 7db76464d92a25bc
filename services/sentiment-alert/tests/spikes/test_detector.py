from dataclasses import replace
from datetime import timedelta

import pytest

from sentiment_alert.spikes import AlertEvent, AlertLevel, Bucket, SpikeDetector

from .series import START, expected_mentions, seasonal_buckets


def run(buckets: list[Bucket]) -> tuple[SpikeDetector, list[AlertEvent]]:
    detector = SpikeDetector()
    events: list[AlertEvent] = []
    for bucket in buckets:
        events.extend(detector.observe(bucket))
    return detector, events


def with_burst(buckets: list[Bucket], first: int, factors: list[float]) -> list[Bucket]:
    """Multiplies mentions and authors (a real crowd) for consecutive hours from `first`."""
    changed = list(buckets)
    for offset, factor in enumerate(factors):
        b = changed[first + offset]
        changed[first + offset] = replace(
            b,
            mentions=int(b.mentions * factor),
            authors=int((b.authors or 0) * factor),
        )
    return changed


def test_a_steady_seasonal_series_raises_nothing() -> None:
    _, events = run(seasonal_buckets(days=28))
    assert events == []


def test_a_burst_raises_one_alert_that_escalates_and_closes() -> None:
    burst_start = 17 * 24 + 14  # day 18, 14:00
    factors = [3.0, 4.5, 7.0, 12.0, 12.0, 6.0, 3.0]
    detector, events = run(with_burst(seasonal_buckets(days=24), burst_start, factors))

    kinds = [e.kind for e in events]
    assert kinds[0] == "opened"
    assert kinds.count("opened") == 1 and kinds.count("closed") == 1
    assert kinds.count("escalated") >= 2
    assert kinds[-1] == "closed"
    assert len({id(e.alert) for e in events}) == 1

    levels = [e.level for e in events if e.kind in ("opened", "escalated")]
    assert levels == sorted(levels) and len(set(levels)) == len(levels)
    alert = events[0].alert
    assert alert.level == AlertLevel.RED
    assert alert.signals == {"volume"}
    burst_begins = START + timedelta(hours=burst_start)
    assert alert.opened_at == burst_begins + timedelta(hours=1)  # known when the hour ends
    assert alert.closed_at is not None
    quiet = timedelta(hours=detector.settings.quiet_buckets)
    assert alert.closed_at == burst_begins + timedelta(hours=len(factors)) + quiet
    assert detector.current is None


def test_one_author_flooding_raises_nothing() -> None:
    buckets = seasonal_buckets(days=21)
    flood_at = 18 * 24 + 15
    flooded = list(buckets)
    for hour in range(flood_at, flood_at + 4):
        b = flooded[hour]
        flooded[hour] = replace(b, mentions=b.mentions + 2_000, authors=(b.authors or 0) + 1)
    _, events = run(flooded)
    assert events == []
    # The same volume from a crowd is an alert: the guard, not the volume, kept it quiet.
    crowd = list(buckets)
    for hour in range(flood_at, flood_at + 4):
        b = crowd[hour]
        crowd[hour] = replace(b, mentions=b.mentions + 2_000, authors=(b.authors or 0) + 1_800)
    _, events = run(crowd)
    assert [e.kind for e in events][:1] == ["opened"]


def test_a_lone_author_posting_hundreds_of_times_raises_nothing() -> None:
    detector = SpikeDetector()
    quiet = [Bucket(START + timedelta(hours=h), 1, 1) for h in range(14 * 24)]
    for bucket in quiet:
        assert detector.observe(bucket) == []
    flood = Bucket(START + timedelta(hours=14 * 24), 500, 1)
    assert detector.judge(flood).volume_level == AlertLevel.RED
    assert detector.observe(flood) == []


def test_negative_share_shift_at_normal_volume_raises_an_alert() -> None:
    buckets = seasonal_buckets(days=21)
    shift_at = 18 * 24 + 10
    shifted = list(buckets)
    for hour in range(shift_at, shift_at + 3):
        b = shifted[hour]
        negative = int(b.mentions * 0.6)
        shifted[hour] = replace(b, negative=negative, negative_authors=negative)
    _, events = run(shifted)
    opened = [e for e in events if e.kind == "opened"]
    assert len(opened) == 1
    assert opened[0].alert.signals == {"negative_share"}
    assert opened[0].alert.level >= AlertLevel.YELLOW


def test_no_alert_while_history_is_too_short() -> None:
    detector = SpikeDetector()
    for hour in range(24):
        moment = START + timedelta(hours=hour)
        mentions = 10_000 if hour == 20 else int(expected_mentions(moment))
        assert detector.observe(Bucket(moment, mentions, mentions)) == []


def test_buckets_must_move_forward() -> None:
    detector = SpikeDetector()
    detector.observe(Bucket(START, 5, 5))
    with pytest.raises(ValueError, match="not after"):
        detector.observe(Bucket(START, 5, 5))
