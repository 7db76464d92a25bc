"""Who a credential stood for a moment ago, so a burst of requests reads the database once.

Authenticating from the database costs a connection checkout and two or three reads per
request (session, user, membership; or the API key), several times what forwarding a small GET
costs. An entry lives `auth_cache_seconds` at most (never past its access token's expiry), and
every write to the gateway's own API (logout, a revoked key or session, a member removed or
given another role, a password change …) empties this replica's cache when it completes, so a
revocation through this replica holds from the next request on. Other replicas learn of it
within `auth_cache_seconds` (docs/gateway.md).

A lookup that started before such a write is not stored after it: each entry is stored only
if no write completed while it was being read (`generation`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yunying_shared.auth import Principal

# Enough for every active credential of a large deployment; past it the oldest entry goes.
MAX_ENTRIES = 50_000


@dataclass(frozen=True)
class Verified:
    principal: Principal
    session_id: UUID | None  # the access token's login session (None for an API key)
    valid_until: float


class PrincipalCache:
    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: dict[tuple[str, str | None], Verified] = {}
        self.generation = 0

    def get(self, credential: str, workspace: str | None) -> Verified | None:
        found = self._entries.get((credential, workspace))
        if found is None:
            return None
        if found.valid_until <= self._clock():
            del self._entries[(credential, workspace)]
            return None
        return found

    def put(
        self,
        credential: str,
        workspace: str | None,
        verified: Principal,
        *,
        session_id: UUID | None,
        read_at_generation: int,
        expires_at: float | None = None,
    ) -> None:
        """`expires_at`: the credential's own end (Unix time), which the entry never outlives."""
        if self.ttl_seconds <= 0 or read_at_generation != self.generation:
            return
        now = self._clock()
        valid_until = now + self.ttl_seconds
        if expires_at is not None:
            valid_until = min(valid_until, now + expires_at - time.time())
        if len(self._entries) >= MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]
        self._entries[(credential, workspace)] = Verified(verified, session_id, valid_until)

    def invalidate(self) -> None:
        self.generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ForgetPrincipalsOnWrites:
    """Empties the cache around every write the gateway itself answers (forwarded writes change
    no credential): when its response starts, so a caller told "revoked" finds it revoked at
    once, and when it ends, for lookups that read the old state meanwhile."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache: PrincipalCache | None = getattr(scope["app"].state, "principal_cache", None)
        if (
            scope["type"] != "http"
            or cache is None
            or scope["method"] in SAFE_METHODS
            or scope["app"].state.owners.of(scope["path"]) is not None
        ):
            await self.app(scope, receive, send)
            return

        async def send_after_forgetting(message: Message) -> None:
            if message["type"] == "http.response.start":
                cache.invalidate()
            await send(message)

        try:
            await self.app(scope, receive, send_after_forgetting)
        finally:
            cache.invalidate()
