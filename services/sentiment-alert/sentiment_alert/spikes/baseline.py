"""Seasonal baseline with robust statistics: the median and MAD of comparable past buckets."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sentiment_alert.spikes.settings import DetectorSettings

MAD_TO_SIGMA = 1.4826  # makes the MAD estimate σ for normally distributed noise


@dataclass(frozen=True, slots=True)
class Expected:
    median: float
    scale: float
    samples: int

    def robust_z(self, value: float) -> float:
        return (value - self.median) / self.scale

    def ratio(self, value: float) -> float:
        return value / max(self.median, 1.0)


def _is_weekend(moment: datetime) -> bool:
    return moment.weekday() >= 5


class SeasonalBaseline:
    """Past values of one series, kept per hour of day, for as long as the history window."""

    def __init__(self, settings: DetectorSettings) -> None:
        self._settings = settings
        self._by_hour: list[deque[tuple[datetime, float]]] = [deque() for _ in range(24)]

    def expected(self, moment: datetime) -> Expected | None:
        """The baseline for a bucket starting at `moment`, or None while history is too short."""
        settings = self._settings
        horizon = moment - timedelta(days=settings.history_days)
        same_type: list[float] = []
        every_day: list[float] = []
        weekend = _is_weekend(moment)
        for offset in range(-settings.neighbour_hours, settings.neighbour_hours + 1):
            for when, value in self._by_hour[(moment.hour + offset) % 24]:
                if horizon <= when < moment:
                    every_day.append(value)
                    if _is_weekend(when) == weekend:
                        same_type.append(value)
        samples = same_type if len(same_type) >= settings.min_samples else every_day
        if len(samples) < settings.min_samples:
            return None
        centre = median(samples)
        spread = MAD_TO_SIGMA * median(abs(value - centre) for value in samples)
        scale = max(spread, math.sqrt(max(centre, 0.0)), settings.min_scale)
        return Expected(centre, scale, len(samples))

    def record(self, moment: datetime, value: float) -> None:
        slot = self._by_hour[moment.hour]
        slot.append((moment, value))
        horizon = moment - timedelta(days=self._settings.history_days)
        while slot and slot[0][0] < horizon:
            slot.popleft()
