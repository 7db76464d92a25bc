"""Each replica's copy of the sizes stored through the API, so no proxied request reads the
database for its limits.

The limiter's table is the deployment's (the settings) overridden by the stored sizes. A
replica reads them whole every `rate_limit_refresh_seconds` and rebuilds the table only when
they changed; a change made through a replica is applied by that replica right after its
commit. So every replica applies a change within `rate_limit_refresh_seconds` (docs/gateway.md).
If the database cannot be read, the replica keeps the sizes it has and tries again next period.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from gateway.ratelimit.limiter import RateLimiter
from gateway.ratelimit.limits import LimitTable
from gateway.ratelimit.service import StoredRows, overriding, stored_rows
from yunying_shared.db import Database
from yunying_shared.logging import get_logger

log = get_logger(__name__)


class StoredLimits:
    def __init__(
        self,
        limiter: RateLimiter,
        deployment: LimitTable,
        database: Database,
        *,
        refresh_seconds: float,
    ) -> None:
        self.deployment = deployment
        self.refresh_seconds = refresh_seconds
        self._limiter = limiter
        self._database = database
        self._loaded: StoredRows | None = None
        self._reads_started = 0
        self._newest_applied = 0

    async def reload(self) -> None:
        self._reads_started += 1
        read = self._reads_started
        async with self._database.session() as session:
            rows = await stored_rows(session)
        # A periodic read that began before a change's own read must not undo it on finishing.
        if read < self._newest_applied:
            return
        self._newest_applied = read
        if rows != self._loaded:
            self._limiter.table = overriding(self.deployment, rows)
            self._loaded = rows

    async def reload_or_wait(self) -> None:
        """Now if the database answers; else the next period does it."""
        try:
            await self.reload()
        except Exception as exc:
            log.warning("stored rate limits not read; keeping the last ones", error=repr(exc))

    async def keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            await self.reload_or_wait()


@contextlib.asynccontextmanager
async def stored_limits_applied(app: FastAPI) -> AsyncIterator[None]:
    """Inside the gateway's lifespan (which builds the limiter): the stored sizes are in the
    table before the first request, and kept fresh until shutdown."""
    limiter: RateLimiter = app.state.rate_limiter
    stored = StoredLimits(
        limiter,
        limiter.table,
        app.state.database,
        refresh_seconds=app.state.settings.rate_limit_refresh_seconds,
    )
    await stored.reload()
    app.state.stored_limits = stored
    task = asyncio.create_task(stored.keep_fresh(), name="gateway-stored-rate-limits")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _stored_limits(request: Request) -> StoredLimits:
    stored: StoredLimits = request.app.state.stored_limits
    return stored


StoredLimitsDep = Annotated[StoredLimits, Depends(_stored_limits)]
