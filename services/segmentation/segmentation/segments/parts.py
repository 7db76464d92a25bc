"""Which part of a split re-score a profile is written in (rfm/service.py), the same in numpy
and in SQL (segments/diff.py's whole-workspace pass keeps to its part's profiles).

A multiplicative hash of the profile id, not the id modulo the number of parts: users active
together often share an id pattern (the benchmark's 5% buying again are every 20th profile,
all even), and `id % 2` put them all in one part, which then did four fifths of the work
while the other part's core waited (578,918 membership changes against 122,935; #11 session
8 in docs/BENCHMARKS.md). The parts run at once, so the re-score takes as long as the larger.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, bindparam

_SPAN = 2**32
# Odd and below 2**31, so (id mod 2**32) times it fits PostgreSQL's int8 and numpy's int64.
_MULTIPLIER = 1_540_483_477


def part_of(ids: np.ndarray, parts: int) -> np.ndarray:
    """The part (0 .. parts-1) of each profile id."""
    mixed = (ids.astype(np.int64) % _SPAN) * _MULTIPLIER % _SPAN
    # the hash's high bits decide (its low bits repeat the id's own pattern)
    part: np.ndarray = mixed * parts // _SPAN
    return part


def in_part(profile_id: Any) -> ColumnElement[bool]:
    """SQL: the profile id column is in part `:part` of `:parts` (bound parameters)."""
    mixed = (profile_id % _SPAN) * _MULTIPLIER % _SPAN
    same: ColumnElement[bool] = mixed * bindparam("parts") // _SPAN == bindparam("part")
    return same
