"""argon2id password hashes; hashing runs in a thread so it never stalls the event loop."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.config import GatewaySettings


@cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher_for(settings: GatewaySettings) -> PasswordHasher:
    return _hasher(
        settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism
    )


@cache
def _unknown_user_hash(hasher: PasswordHasher) -> str:
    hashed: str = hasher.hash("yunying: no user has this password")
    return hashed


async def hash_password(hasher: PasswordHasher, password: str) -> str:
    return await asyncio.to_thread(hasher.hash, password)


async def verify_password(hasher: PasswordHasher, password_hash: str | None, password: str) -> bool:
    """False on mismatch. Without a hash (unknown email) a dummy one is checked, so both
    failures take as long and the timing does not tell which emails exist."""
    target = password_hash
    if target is None:
        target = await asyncio.to_thread(_unknown_user_hash, hasher)
    try:
        await asyncio.to_thread(hasher.verify, target, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None
