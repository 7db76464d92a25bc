"""A token bucket per API key, in this process: a CRM backfill cannot starve everyone else.

Per replica, deliberately: with N gateway replicas a key gets up to N times the rate, which is
the price of needing no shared store."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, *, rate_per_second: float, burst: int) -> None:
        self.rate = rate_per_second
        self.burst = float(burst)
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, key: str, now: float | None = None) -> float:
        """0 when the request may go; otherwise the seconds until it may."""
        moment = time.monotonic() if now is None else now
        bucket = self._buckets.setdefault(key, _Bucket(self.burst, moment))
        bucket.tokens = min(self.burst, bucket.tokens + (moment - bucket.updated) * self.rate)
        bucket.updated = moment
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
