"""The cached internal-token reader: verified tokens are remembered until `exp`, never past it."""

from __future__ import annotations

import time
import uuid

import pytest

from yunying_shared.auth.principal import Principal
from yunying_shared.auth.tokens import (
    InternalTokenReader,
    issue_internal_token,
    read_internal_token,
)
from yunying_shared.errors import Unauthorized

SECRET = "s" * 64
PRINCIPAL = Principal("user-1", "user", uuid.uuid4(), frozenset({"admin"}))


def test_a_verified_token_is_served_from_memory() -> None:
    token = issue_internal_token(PRINCIPAL, secret=SECRET, ttl_seconds=3600)
    reader = InternalTokenReader(SECRET)
    assert reader.read(token) == read_internal_token(token, secret=SECRET) == PRINCIPAL
    reader.secret = "x" * 64  # a second verification would now fail: the hit skips it
    assert reader.read(token) == PRINCIPAL


def test_a_remembered_token_past_its_expiry_is_verified_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = issue_internal_token(PRINCIPAL, secret=SECRET, ttl_seconds=3600)
    reader = InternalTokenReader(SECRET)
    reader.read(token)
    monkeypatch.setattr(time, "time", lambda: 2**40)  # past the remembered exp
    reader.secret = "x" * 64  # so the fresh verification shows itself by failing
    with pytest.raises(Unauthorized, match="Signature verification failed"):
        reader.read(token)


def test_an_expired_token_gets_the_uncached_error_every_time() -> None:
    token = issue_internal_token(PRINCIPAL, secret=SECRET, ttl_seconds=-1)
    reader = InternalTokenReader(SECRET)
    with pytest.raises(Unauthorized) as direct:
        read_internal_token(token, secret=SECRET)
    for _ in range(2):
        with pytest.raises(Unauthorized) as cached:
            reader.read(token)
        assert cached.value.detail == direct.value.detail
        assert "expired" in cached.value.detail


def test_the_memory_is_bounded() -> None:
    reader = InternalTokenReader(SECRET, max_entries=2)
    for n in range(3):
        reader.read(
            issue_internal_token(
                Principal(f"user-{n}", "user", None, frozenset({"admin"})),
                secret=SECRET,
                ttl_seconds=3600,
            )
        )
    assert len(reader._verified) == 2
