"""The shipped shopping calendar. 春节 follows the lunar calendar, so its dates are a table
(2024–2035, from the published lunisolar calendar); the others are fixed Gregorian dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SPRING_FESTIVAL = {
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}
FIRST_YEAR, LAST_YEAR = min(SPRING_FESTIVAL), max(SPRING_FESTIVAL)


@dataclass(frozen=True)
class Holiday:
    key: str
    name: str
    day: date
    builtin: bool = True


# key → (name, month, day) for the fixed-date ones.
FIXED = {
    "valentines_day": ("情人节", 2, 14),
    "618": ("618", 6, 18),
    "double_11": ("双11", 11, 11),
}
BUILTIN_KEYS = ("spring_festival", *FIXED)


def builtin_holidays(year: int) -> list[Holiday]:
    days = [Holiday(key, name, date(year, month, day)) for key, (name, month, day) in FIXED.items()]
    if year in SPRING_FESTIVAL:
        days.append(Holiday("spring_festival", "春节", SPRING_FESTIVAL[year]))
    return sorted(days, key=lambda h: h.day)


def builtin_day(key: str, year: int) -> date | None:
    return next((h.day for h in builtin_holidays(year) if h.key == key), None)
