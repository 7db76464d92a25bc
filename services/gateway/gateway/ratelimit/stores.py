"""Token buckets in Redis (one atomic Lua script per request, on the server's clock) or in this
process. Both take every bucket of a request at once: the request is allowed only if each has a
token, and then one is taken from each, so a refused request costs no bucket anything."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from gateway.ratelimit.limits import Bucket

KEY_PREFIX = "yunying:ratelimit:"

# KEYS: the buckets. ARGV: per bucket, its refill rate per second then its size.
# The server's TIME is the clock, so replicas with skewed clocks still share one bucket.
# Returns {allowed (1/0), level of each bucket after this request, as text}.
TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local levels = {}
local allowed = 1
for i = 1, #KEYS do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local level = tonumber(state[1])
  local at = tonumber(state[2])
  if level == nil or at == nil then
    level = burst
    at = now
  end
  level = math.min(burst, level + math.max(0, now - at) * rate)
  levels[i] = level
  if level < 1 then allowed = 0 end
end
local out = {allowed}
for i = 1, #KEYS do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local level = levels[i]
  if allowed == 1 then level = level - 1 end
  redis.call('HSET', KEYS[i], 'tokens', tostring(level), 'at', tostring(now))
  -- Gone once it would be full again: an idle client costs no memory.
  redis.call('PEXPIRE', KEYS[i], math.ceil((burst - level) / rate * 1000) + 1000)
  out[i + 1] = tostring(level)
end
return out
"""


@dataclass(frozen=True)
class Taken:
    """The outcome for a request: allowed or not, and each bucket's level afterwards."""

    allowed: bool
    levels: list[float]


class BucketStore(Protocol):
    async def take(self, buckets: Sequence[Bucket]) -> Taken: ...


class RedisBuckets:
    """The script's EVALSHA encoded here and sent on a pooled connection: redis-py's command
    path (argument encoding, retries, event hooks, a task per send for its write timeout) cost
    about twice the CPU of the exchange itself (session 6, docs/BENCHMARKS.md). Errors are the
    connection's own (RedisError, raised after it disconnected), which the limiter turns into
    per-replica buckets; no retry here, so an outage costs one timeout, not several."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._sha = hashlib.sha1(TAKE_SCRIPT.encode()).hexdigest().encode()

    async def take(self, buckets: Sequence[Bucket]) -> Taken:
        parts = [b"EVALSHA", self._sha, str(len(buckets)).encode()]
        parts += [(KEY_PREFIX + bucket.key).encode() for bucket in buckets]
        for bucket in buckets:
            parts += [repr(bucket.limit.per_second).encode(), str(bucket.limit.burst).encode()]
        command = _resp_array(parts)
        try:
            reply = await self._exchange(command)
        except NoScriptError:  # a restarted Redis has forgotten the script
            await self._redis.script_load(TAKE_SCRIPT)
            reply = await self._exchange(command)
        return Taken(allowed=int(reply[0]) == 1, levels=[float(level) for level in reply[1:]])

    async def _exchange(self, command: bytes) -> Any:
        pool = self._redis.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            await connection.send_packed_command(command, check_health=False)
            return await connection.read_response()
        finally:
            await pool.release(connection)


def _resp_array(parts: Sequence[bytes]) -> bytes:
    """A command as Redis reads it (RESP): an array of bulk strings."""
    encoded = [b"*%d\r\n" % len(parts)]
    encoded += [b"$%d\r\n%s\r\n" % (len(part), part) for part in parts]
    return b"".join(encoded)


@dataclass
class _Level:
    tokens: float
    at: float


class MemoryBuckets:
    """The same buckets in this process: the embedded mode's store, and every replica's own
    while Redis is unreachable (then each replica allows the full rate)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._levels: dict[str, _Level] = {}

    async def take(self, buckets: Sequence[Bucket]) -> Taken:
        now = self._clock()
        levels = []
        for bucket in buckets:
            state = self._levels.get(bucket.key)
            if state is None:
                state = self._levels[bucket.key] = _Level(float(bucket.limit.burst), now)
            state.tokens = min(
                float(bucket.limit.burst),
                state.tokens + max(0.0, now - state.at) * bucket.limit.per_second,
            )
            state.at = now
            levels.append(state)
        allowed = all(state.tokens >= 1 for state in levels)
        if allowed:
            for state in levels:
                state.tokens -= 1
        self._forget_full(now, buckets)
        return Taken(allowed=allowed, levels=[state.tokens for state in levels])

    def _forget_full(self, now: float, buckets: Sequence[Bucket]) -> None:
        """Drops buckets idle for an hour once there are many, so addresses seen once do not
        accumulate for the life of the process (a dropped bucket comes back full)."""
        if len(self._levels) < 10_000:
            return
        limits = {bucket.key: bucket.limit for bucket in buckets}
        for key, state in list(self._levels.items()):
            if key not in limits and now - state.at > 3600:
                del self._levels[key]
