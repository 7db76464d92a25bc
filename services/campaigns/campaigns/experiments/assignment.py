"""Deterministic, sticky assignment: sha256(experiment id, user id) -> one of 10,000 buckets,
bucket ranges allotted to the holdout and the variants by weight.

No state is needed to know a user's arm, so every replica and every sender agrees, and a user
keeps the arm for the experiment's life (the allocation is frozen once it runs). Hashing with
the experiment id decorrelates experiments: being in one's treatment says nothing about another.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from uuid import UUID

BUCKETS = 10_000
HOLDOUT = "holdout"


@dataclass(frozen=True)
class Allocation:
    """Arms in order with the share of traffic each receives (shares sum to 1)."""

    arms: tuple[str, ...]
    shares: tuple[float, ...]

    def boundaries(self) -> list[int]:
        """Exclusive upper bucket of each arm; the last is BUCKETS."""
        return list(self._bounds)

    @cached_property
    def _bounds(self) -> tuple[int, ...]:
        bounds, cumulative = [], 0.0
        for share in self.shares:
            cumulative += share
            bounds.append(round(cumulative * BUCKETS))
        bounds[-1] = BUCKETS
        return tuple(bounds)

    def bucket_shares(self) -> list[float]:
        """The shares as the buckets actually realise them (what SRM is checked against)."""
        bounds = self.boundaries()
        return [(high - low) / BUCKETS for low, high in zip([0, *bounds[:-1]], bounds, strict=True)]


def allocation(variants: Sequence[tuple[str, float]], holdout_percent: float) -> Allocation:
    """The holdout takes `holdout_percent` of traffic; the variants split the rest by weight."""
    total = sum(weight for _, weight in variants)
    treated = 1 - holdout_percent / 100
    arms = [key for key, _ in variants]
    shares = [treated * weight / total for _, weight in variants]
    if holdout_percent > 0:
        arms.insert(0, HOLDOUT)
        shares.insert(0, holdout_percent / 100)
    return Allocation(tuple(arms), tuple(shares))


def bucket(experiment_id: UUID, user_id: str) -> int:
    digest = hashlib.sha256(f"{experiment_id}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def assign(experiment_id: UUID, user_id: str, plan: Allocation) -> str:
    # The first arm whose exclusive upper bound is above the bucket.
    return plan.arms[bisect_right(plan._bounds, bucket(experiment_id, user_id))]
