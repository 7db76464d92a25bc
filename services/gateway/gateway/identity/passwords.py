"""argon2id password hashes; hashing runs in a thread so it never stalls the event loop.

Each hash costs tens of MiB and tens of milliseconds of a core, so at most
`password_hash_concurrency` run at once per process; up to `password_hash_queue` more wait their
turn, and beyond that a caller is refused at once (429) instead of queuing for seconds while the
whole server slows down.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.config import GatewaySettings
from yunying_shared.errors import TooManyRequests

T = TypeVar("T")


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


class HashingBusy(TooManyRequests):
    code = "password_hashing_busy"

    def __init__(self) -> None:
        super().__init__(
            "Too many logins are being checked right now; retry in a moment.",
            retry_after_seconds=1,
        )


class HashingGate:
    """At most `concurrency` hashes at once, `queue` more waiting, the rest refused."""

    def __init__(self, *, concurrency: int, queue: int) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._semaphore = asyncio.Semaphore(concurrency)
        self._admitted = 0

    async def run(self, function: Callable[..., T], *args: object) -> T:
        if self._admitted >= self.concurrency + self.queue:
            raise HashingBusy()
        self._admitted += 1
        try:
            async with self._semaphore:
                return await asyncio.to_thread(function, *args)
        finally:
            self._admitted -= 1


# One gate per event loop (a semaphore belongs to one), so each process bounds its own hashing.
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, int], HashingGate]]
_gates = weakref.WeakKeyDictionary()


def gate_for(settings: GatewaySettings) -> HashingGate:
    sizes = (settings.password_hash_concurrency, settings.password_hash_queue)
    per_loop = _gates.setdefault(asyncio.get_running_loop(), {})
    if sizes not in per_loop:
        per_loop[sizes] = HashingGate(concurrency=sizes[0], queue=sizes[1])
    return per_loop[sizes]


async def _run(gate: HashingGate | None, function: Callable[..., T], *args: object) -> T:
    if gate is None:
        return await asyncio.to_thread(function, *args)
    return await gate.run(function, *args)


async def hash_password(
    hasher: PasswordHasher, password: str, *, gate: HashingGate | None = None
) -> str:
    return await _run(gate, hasher.hash, password)


async def verify_password(
    hasher: PasswordHasher,
    password_hash: str | None,
    password: str,
    *,
    gate: HashingGate | None = None,
) -> bool:
    """False on mismatch. Without a hash (unknown email) a dummy one is checked, so both
    failures take as long and the timing does not tell which emails exist."""
    target = password_hash
    if target is None:
        target = await _run(gate, _unknown_user_hash, hasher)
    try:
        await _run(gate, hasher.verify, target, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None
