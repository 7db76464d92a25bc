"""Time zones for quiet hours. The IANA database comes from the system (or the `tzdata`
package); where an image ships without it, the zones of mainland China, Hong Kong, Macau and
Taiwan (no daylight saving since 1991) still work as a fixed UTC+8."""

from __future__ import annotations

from datetime import timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_PLUS_8 = ("Asia/Shanghai", "Asia/Chongqing", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei")


@cache
def zone(name: str) -> tzinfo:
    """The zone called `name`; ValueError when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        if name in UTC_PLUS_8:
            return timezone(timedelta(hours=8), name)
        raise ValueError(f"unknown time zone {name!r}") from exc
