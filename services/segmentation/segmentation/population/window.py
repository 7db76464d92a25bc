"""The date range every population metric takes: whole UTC days, both ends included."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from yunying_shared.errors import InvalidInput

MAX_DAYS = 366


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date

    @classmethod
    def checked(cls, start: date, end: date) -> DateRange:
        if end < start:
            raise InvalidInput(
                "`to` is before `from`.",
                errors=[{"field": "to", "message": "must be on or after `from`"}],
            )
        if (end - start).days + 1 > MAX_DAYS:
            raise InvalidInput(
                f"At most {MAX_DAYS} days per request.",
                errors=[{"field": "to", "message": f"range longer than {MAX_DAYS} days"}],
            )
        return cls(start, end)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def until(self) -> datetime:
        """Exclusive upper bound: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    def days(self) -> Iterator[date]:
        for offset in range((self.end - self.start).days + 1):
            yield self.start + timedelta(days=offset)


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
