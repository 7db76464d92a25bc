"""The gateway's limiter: Redis when configured and answering, this process's memory otherwise.

When Redis fails the request is not refused: it is judged by this replica's own buckets (so N
replicas allow up to N times a limit), `/readyz` says "degraded" and the
`yunying_gateway_rate_limits_shared` gauge drops to 0. Redis is tried again after
`rate_limit_redis_retry_seconds`, so an outage costs one timeout per period, not per request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.ratelimit.limits import Bucket, LimitTable
from gateway.ratelimit.stores import MemoryBuckets, RedisBuckets
from yunying_shared.logging import get_logger

log = get_logger(__name__)

SHARED = Gauge(
    "yunying_gateway_rate_limits_shared",
    "1 while rate limits are counted in Redis for every replica, 0 while per replica",
)
STORE_ERRORS = Counter(
    "yunying_gateway_rate_limit_store_errors_total",
    "Requests judged by per-replica buckets because Redis failed",
)
LIMITED = Counter(
    "yunying_gateway_rate_limited_total", "Requests refused with 429, by bucket kind", ["bucket"]
)


@dataclass(frozen=True)
class Decision:
    """What the response says: the bucket closest to refusing (or the one that refused)."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until that bucket is full again
    retry_after_seconds: int  # until a request may pass (0 when allowed)
    bucket: Bucket | None


UNLIMITED = Decision(True, 0, 0, 0, 0, None)


class RateLimiter:
    def __init__(
        self,
        table: LimitTable,
        *,
        redis: Redis | None = None,
        retry_seconds: float = 2.0,
    ) -> None:
        self.table = table
        self.redis = redis
        self._shared = RedisBuckets(redis) if redis is not None else None
        self._local = MemoryBuckets()
        self._retry_seconds = retry_seconds
        self._redis_down_until = 0.0
        self.last_error: str | None = None
        SHARED.set(1 if redis is not None else 0)

    @property
    def shared(self) -> bool:
        """True while the counters are in Redis (as far as the last request knows)."""
        return self._shared is not None and self.last_error is None

    async def check(self, buckets: Sequence[Bucket]) -> Decision:
        if not buckets:
            return UNLIMITED
        taken = None
        if self._shared is not None and time.monotonic() >= self._redis_down_until:
            try:
                taken = await self._shared.take(buckets)
                if self.last_error is not None:
                    log.info("rate limits shared through Redis again")
                    self.last_error = None
                    SHARED.set(1)
            except (RedisError, OSError) as exc:
                self._redis_unavailable(exc)
        if taken is None:
            taken = await self._local.take(buckets)
        return _decision(taken.allowed, buckets, taken.levels)

    def _redis_unavailable(self, exc: Exception) -> None:
        STORE_ERRORS.inc()
        if self.last_error is None:
            log.warning("Redis unavailable: rate limits per replica", error=repr(exc))
        self.last_error = type(exc).__name__
        self._redis_down_until = time.monotonic() + self._retry_seconds
        SHARED.set(0)

    async def status(self) -> str:
        """The `/readyz` line: Redis is pinged, so a recovery shows before the next request."""
        if self.redis is None:
            return "ok: in-process buckets (no Redis configured)"
        try:
            await self.redis.ping()
        except (RedisError, OSError) as exc:
            self._redis_unavailable(exc)
            return f"degraded: Redis unavailable ({type(exc).__name__}); limits are per replica"
        self._redis_down_until = 0.0  # the next request tries Redis again at once
        return "ok"

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def _decision(allowed: bool, buckets: Sequence[Bucket], levels: Sequence[float]) -> Decision:
    def wait(bucket: Bucket, level: float) -> float:
        return max(0.0, (1 - level) / bucket.limit.per_second)

    pairs = list(zip(buckets, levels, strict=True))
    if allowed:
        bucket, level = min(pairs, key=lambda pair: pair[1])
        retry = 0
    else:
        bucket, level = max(pairs, key=lambda pair: wait(*pair))
        retry = max(1, math.ceil(wait(bucket, level)))
    if not allowed:
        LIMITED.labels(bucket.kind).inc()
    return Decision(
        allowed=allowed,
        limit=bucket.limit.burst,
        remaining=max(0, math.floor(level)),
        reset_seconds=math.ceil(max(0.0, bucket.limit.burst - level) / bucket.limit.per_second),
        retry_after_seconds=retry,
        bucket=bucket,
    )
