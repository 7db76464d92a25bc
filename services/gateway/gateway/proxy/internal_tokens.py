"""The internal token the gateway signs for a caller, reused while it has most of its life left.

Signing is an HMAC over a JSON document per request; a caller sending a burst gets the same
token for half its lifetime instead (services accept it until `exp`, so a reused token always
has at least half the TTL left when it leaves the gateway)."""

from __future__ import annotations

import time
from collections.abc import Callable

from yunying_shared.auth import Principal, issue_internal_token

MAX_ENTRIES = 50_000


class InternalTokens:
    def __init__(
        self, secret: str, ttl_seconds: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self._ttl_seconds = ttl_seconds
        self._clock = clock
        self._issued: dict[Principal, tuple[str, float]] = {}

    def for_principal(self, principal: Principal) -> str:
        now = self._clock()
        found = self._issued.get(principal)
        if found is not None and found[1] > now:
            return found[0]
        token = issue_internal_token(principal, secret=self._secret, ttl_seconds=self._ttl_seconds)
        if len(self._issued) >= MAX_ENTRIES:
            del self._issued[next(iter(self._issued))]
        self._issued[principal] = (token, now + self._ttl_seconds / 2)
        return token
