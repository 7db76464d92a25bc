"""argon2id password hashes; hashing runs in a thread so it never stalls the event loop."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _unknown_user_hash() -> str:
    return _hasher.hash("yunying: no user has this password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """False on mismatch. Without a hash (unknown email) a dummy one is checked, so both
    failures take as long and the timing does not tell which emails exist."""
    target = password_hash or await asyncio.to_thread(_unknown_user_hash)
    try:
        await asyncio.to_thread(_hasher.verify, target, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
