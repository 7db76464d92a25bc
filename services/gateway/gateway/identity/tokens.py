"""Access tokens (short-lived JWTs) and the opaque secrets behind refresh tokens and API keys.

Access tokens name their key in the `kid` header (a fingerprint of the secret, so nothing about
the secret itself): during a rotation the gateway accepts the current and the previous key and
picks the one the token names. The algorithm is pinned; `iss`, `aud` and `exp` are required.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import jwt

from yunying_shared.errors import Unauthorized

ACCESS_TYPE = "access"
ISSUER = "yunying-gateway"
AUDIENCE = "yunying-api"
ALGORITHM = "HS256"


def key_id(secret: str) -> str:
    return hashlib.sha256(b"yunying-access-key:" + secret.encode()).hexdigest()[:16]


def issue_access_token(
    user_id: UUID,
    *,
    secret: str,
    ttl_seconds: int,
    now: int | None = None,
    session_id: UUID | None = None,
) -> str:
    """`session_id` (the `sid` claim) names the login session: revoking it ends the token."""
    issued = int(time.time()) if now is None else now
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "typ": ACCESS_TYPE,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if session_id is not None:
        claims["sid"] = str(session_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"kid": key_id(secret)})


@dataclass(frozen=True)
class AccessClaims:
    user_id: UUID
    # None in tokens issued before login sessions existed (they expire within minutes).
    session_id: UUID | None
    expires_at: int = 0  # Unix time


def read_access_token(token: str, *, secrets: Iterable[str]) -> UUID:
    """The user id in a valid token signed with one of `secrets` (current key first)."""
    return read_access_claims(token, secrets=secrets).user_id


def read_access_claims(token: str, *, secrets: Iterable[str]) -> AccessClaims:
    """The user and session of a valid token signed with one of `secrets`."""
    keys = {key_id(secret): secret for secret in secrets}
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str) or kid not in keys:
            raise Unauthorized("Invalid access token: unknown signing key.")
        claims = jwt.decode(
            token,
            keys[kid],
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            audience=AUDIENCE,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired: refresh it.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid access token.") from exc
    if claims.get("typ") != ACCESS_TYPE:
        raise Unauthorized("Invalid access token.")
    try:
        sid = claims.get("sid")
        return AccessClaims(
            user_id=UUID(claims["sub"]),
            session_id=UUID(sid) if sid is not None else None,
            expires_at=int(claims["exp"]),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise Unauthorized("Invalid access token.") from exc


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
