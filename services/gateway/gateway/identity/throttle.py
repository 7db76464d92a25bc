"""Login throttling per account and per client address, shared by replicas through the database.

A key (`account:<email>` or `address:<ip>`) may fail `max_failures` times within the window;
each failure beyond that locks it for `base * 2^(extra failures)` seconds, capped. A locked key
is answered 429 with `Retry-After` before any password is checked, so a guessing run costs the
server nothing. A successful login clears its account's failures (not its address's: one's own
account must not launder guesses at others). An admin can clear a key at once.

Counts are written in their own short transactions: the login request itself fails (401) and is
rolled back, but its failure must stay counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.config import GatewaySettings
from gateway.db import utcnow
from gateway.identity.models import LoginThrottle
from yunying_shared.db import Database
from yunying_shared.errors import TooManyRequests


class LoginThrottled(TooManyRequests):
    code = "login_throttled"

    def __init__(self, retry_after_seconds: float) -> None:
        super().__init__(
            "Too many failed logins for this account or from this address; retry later "
            "(an admin can lift the lock sooner).",
            retry_after_seconds=retry_after_seconds,
        )


@dataclass(frozen=True)
class ThrottleKey:
    key: str
    max_failures: int


def account_key(email: str) -> str:
    return f"account:{email.strip().lower()}"


def address_key(address: str) -> str:
    return f"address:{address}"


def keys_for(settings: GatewaySettings, *, email: str, address: str | None) -> list[ThrottleKey]:
    keys = [ThrottleKey(account_key(email), settings.login_account_max_failures)]
    if address:
        keys.append(ThrottleKey(address_key(address), settings.login_address_max_failures))
    return keys


async def ensure_not_locked(
    database: Database, keys: list[ThrottleKey], *, now: datetime | None = None
) -> None:
    now = now or utcnow()
    async with database.session() as session:
        locks = await session.scalars(
            select(LoginThrottle.locked_until).where(
                LoginThrottle.key.in_([k.key for k in keys]),
                LoginThrottle.locked_until > now,
            )
        )
        latest = max((lock for lock in locks if lock is not None), default=None)
    if latest is not None:
        raise LoginThrottled((latest - now).total_seconds())


async def record_failure(
    database: Database,
    keys: list[ThrottleKey],
    settings: GatewaySettings,
    *,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    for key in keys:
        async with database.session() as session:
            failures = await _count_failure(session, key.key, settings, now)
            extra = failures - key.max_failures
            if extra >= 0:
                seconds = min(
                    settings.login_lockout_base_seconds * 2 ** min(extra, 32),
                    settings.login_lockout_max_seconds,
                )
                await session.execute(
                    update(LoginThrottle)
                    .where(LoginThrottle.key == key.key)
                    .values(locked_until=now + timedelta(seconds=seconds))
                )
            await session.commit()


async def _count_failure(
    session: AsyncSession, key: str, settings: GatewaySettings, now: datetime
) -> int:
    """The key's failures in the window, this one included (atomic under concurrency)."""
    window_start = now - timedelta(seconds=settings.login_failure_window_seconds)
    for _ in range(3):
        # Failures older than the window are forgotten (a lock still running is kept).
        await session.execute(
            update(LoginThrottle)
            .where(
                LoginThrottle.key == key,
                LoginThrottle.last_failure_at < window_start,
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
            )
            .values(failures=0, locked_until=None)
        )
        counted = await session.scalar(
            update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(failures=LoginThrottle.failures + 1, last_failure_at=now)
            .returning(LoginThrottle.failures)
        )
        if counted is not None:
            return int(counted)
        try:
            async with session.begin_nested():
                session.add(LoginThrottle(key=key, failures=1, last_failure_at=now))
            return 1
        except IntegrityError:
            continue  # another replica inserted it first: count on its row
    return 1


async def forget_failures(session: AsyncSession, *, email: str) -> None:
    """After a successful login, in its transaction (SQLite allows one writer at a time, and
    the login already writes its refresh token)."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(email)))


async def clear(database: Database, keys: list[str]) -> int:
    async with database.session() as session:
        result = await session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
        await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
