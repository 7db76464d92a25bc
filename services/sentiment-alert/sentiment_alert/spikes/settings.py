"""The detector's settings: one set for every keyword and every series."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class AlertLevel(enum.IntEnum):
    """蓝 / 黄 / 橙 / 红: how far a bucket sits above its seasonal baseline."""

    NONE = 0
    BLUE = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4

    @property
    def chinese(self) -> str:
        return {0: "", 1: "蓝", 2: "黄", 3: "橙", 4: "红"}[self.value]


@dataclass(frozen=True, slots=True)
class LevelThreshold:
    level: AlertLevel
    robust_z: float  # (value − median) / robust scale
    ratio: float  # value / median
    negative_share_rise: float  # negative share minus its baseline share


def _default_thresholds() -> tuple[LevelThreshold, ...]:
    return (
        LevelThreshold(AlertLevel.BLUE, robust_z=6.0, ratio=2.5, negative_share_rise=0.10),
        LevelThreshold(AlertLevel.YELLOW, robust_z=9.0, ratio=3.5, negative_share_rise=0.20),
        LevelThreshold(AlertLevel.ORANGE, robust_z=14.0, ratio=5.0, negative_share_rise=0.30),
        LevelThreshold(AlertLevel.RED, robust_z=20.0, ratio=8.0, negative_share_rise=0.40),
    )


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    bucket_minutes: int = 60
    # The seasonal baseline: buckets of the same hour of day (± neighbour_hours) over the last
    # history_days, restricted to the same day type (weekday or weekend) once that gives
    # min_samples of them.
    history_days: int = 7
    neighbour_hours: int = 2
    min_samples: int = 12
    # A bucket's scale is never below √median (Poisson noise) nor below min_scale.
    min_scale: float = 2.0
    # An alert opens after confirm_buckets consecutive buckets at blue or above, and closes after
    # quiet_buckets consecutive buckets below blue.
    confirm_buckets: int = 1
    quiet_buckets: int = 24
    # The flood guard: every level also needs the bucket's distinct authors to rise by the same
    # measure against their own baseline, and at least min_distinct_authors of them.
    min_distinct_authors: int = 3
    # The negative-share signal needs this many negative mentions in the bucket.
    min_negative_mentions: int = 10
    thresholds: tuple[LevelThreshold, ...] = field(default_factory=_default_thresholds)

    def as_dict(self) -> dict[str, Any]:
        described = asdict(self)
        described["thresholds"] = [
            {**asdict(t), "level": t.level.name.lower()} for t in self.thresholds
        ]
        return described
