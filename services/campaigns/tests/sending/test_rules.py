"""Sending rules: zones, quiet windows across midnight and within a day."""

from datetime import UTC, datetime, time

import pytest
from pydantic import ValidationError

from campaigns.sending.rules import Rules
from campaigns.sending.schemas import RulesIn


def test_unknown_zone_and_half_quiet_hours_are_refused():
    with pytest.raises(ValidationError, match="unknown time zone"):
        RulesIn(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="go together"):
        RulesIn(quiet_start=time(22))


@pytest.mark.parametrize(
    ("start", "end", "at", "until"),
    [
        # 22:00–08:00 Shanghai; 23:30 local is inside, until 08:00 the next day (00:00 UTC)
        (
            time(22),
            time(8),
            datetime(2026, 6, 1, 15, 30, tzinfo=UTC),
            datetime(2026, 6, 2, 0, 0, tzinfo=UTC),
        ),
        # 06:00 local is inside, until 08:00 the same day
        (
            time(22),
            time(8),
            datetime(2026, 6, 1, 22, 0, tzinfo=UTC),
            datetime(2026, 6, 2, 0, 0, tzinfo=UTC),
        ),
        # noon local is outside
        (time(22), time(8), datetime(2026, 6, 1, 4, 0, tzinfo=UTC), None),
        # a window within one day, 12:00–14:00
        (
            time(12),
            time(14),
            datetime(2026, 6, 1, 5, 0, tzinfo=UTC),
            datetime(2026, 6, 1, 6, 0, tzinfo=UTC),
        ),
    ],
)
def test_quiet_until(start, end, at, until):
    rules = Rules("Asia/Shanghai", start, end, 3, 24)
    assert rules.quiet_until(at) == until
