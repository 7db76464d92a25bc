"""Access tokens (short-lived JWTs) and the opaque secrets behind refresh tokens and API keys."""

from __future__ import annotations

import hashlib
import secrets
import time
from uuid import UUID

import jwt

from yunying_shared.errors import Unauthorized

ACCESS_TYPE = "access"
ISSUER = "yunying-gateway"


def issue_access_token(
    user_id: UUID, *, secret: str, ttl_seconds: int, now: int | None = None
) -> str:
    issued = int(time.time()) if now is None else now
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "typ": ACCESS_TYPE,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def read_access_token(token: str, *, secret: str) -> UUID:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired: refresh it.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid access token.") from exc
    if claims.get("typ") != ACCESS_TYPE:
        raise Unauthorized("Invalid access token.")
    try:
        return UUID(claims["sub"])
    except (TypeError, ValueError) as exc:
        raise Unauthorized("Invalid access token.") from exc


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
