"""UTC everywhere. SQLite hands back naive datetimes (stored as UTC text), PostgreSQL aware ones;
these keep both the same in Python and give numpy epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def epoch(value: datetime | None) -> float:
    """Epoch seconds; NaN for None, so numpy comparisons treat it as 'never'."""
    aware = as_utc(value)
    return aware.timestamp() if aware is not None else float("nan")


def epochs(values: list[datetime | None]) -> np.ndarray:
    return np.fromiter((epoch(v) for v in values), dtype=float, count=len(values))
