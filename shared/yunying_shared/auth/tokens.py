"""The gateway's internal token: what a service trusts about the caller, signed and short-lived."""

from __future__ import annotations

import time
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
    return Principal(
        subject=claims["sub"],
        kind=claims["knd"],
        workspace_id=UUID(claims["ws"]) if claims.get("ws") else None,
        roles=frozenset(claims.get("rol", [])),
        scopes=frozenset(claims.get("scp", [])),
        is_superuser=bool(claims.get("su", False)),
    )
