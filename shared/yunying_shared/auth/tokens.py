"""The gateway's internal token: what a service trusts about the caller, signed and short-lived."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any
from uuid import UUID

import jwt

from yunying_shared.auth.principal import Principal
from yunying_shared.errors import Unauthorized

AUDIENCE = "yunying-internal"
ISSUER = "yunying-gateway"


def issue_internal_token(principal: Principal, *, secret: str, ttl_seconds: int) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_seconds,
        "sub": principal.subject,
        "knd": principal.kind,
        "ws": str(principal.workspace_id) if principal.workspace_id else None,
        "rol": sorted(principal.roles),
        "scp": sorted(principal.scopes),
        "su": principal.is_superuser,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def read_internal_token(token: str, *, secret: str) -> Principal:
    return _principal(_verified_claims(token, secret=secret))


def _verified_claims(token: str, *, secret: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"Invalid internal token: {exc}") from exc
    return claims


def _principal(claims: dict[str, Any]) -> Principal:
    return Principal(
        subject=claims["sub"],
        kind=claims["knd"],
        workspace_id=UUID(claims["ws"]) if claims.get("ws") else None,
        roles=frozenset(claims.get("rol", [])),
        scopes=frozenset(claims.get("scp", [])),
        is_superuser=bool(claims.get("su", False)),
    )


class InternalTokenReader:
    """`read_internal_token` with the tokens already verified remembered until they expire.

    The gateway signs one token per principal and reuses it for many requests, so a service
    would otherwise verify the same signature and claims again on every request (a large share
    of a small request's CPU). Only tokens that verified are kept, keyed by the whole token
    string, and a remembered token is served only while its `exp` is in the future, the same
    test PyJWT applies (expired when `exp <= now`); past it, the token is read again, so the
    caller gets the very error an uncached read gives. Bounded: the oldest entry goes first."""

    def __init__(self, secret: str, *, max_entries: int = 4096) -> None:
        self.secret = secret
        self.max_entries = max_entries
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def read(self, token: str) -> Principal:
        found = self._verified.get(token)
        if found is not None and time.time() < found[1]:
            return found[0]
        self._verified.pop(token, None)
        claims = _verified_claims(token, secret=self.secret)
        principal = _principal(claims)
        self._verified[token] = (principal, float(claims["exp"]))
        if len(self._verified) > self.max_entries:
            self._verified.popitem(last=False)
        return principal
