"""A verified credential is reused for `auth_cache_seconds` per replica; a revocation through
the gateway holds from the next request on, one made elsewhere (another replica) once the
entry ends. The cache itself: never past the token's expiry, never storing a lookup that a
write overtook."""

import time
from uuid import uuid4

from sqlalchemy import update

from gateway.db import utcnow
from gateway.identity.principal_cache import PrincipalCache
from gateway.proxy import internal_tokens
from gateway.proxy.internal_tokens import InternalTokens
from gateway.sessions.models import LoginSession
from yunying_shared.auth import Principal
from yunying_shared.auth.tokens import issue_internal_token, read_internal_token

USER = Principal(subject="u1", kind="user")


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_a_cached_token_revoked_through_the_gateway_is_refused_at_once(gateway):
    admin = await gateway.login()
    laptop = await gateway.login()
    assert (await gateway.client.get("/v1/me", headers=laptop)).status_code == 200
    assert len(gateway.app.state.principal_cache) >= 1
    sessions = (await gateway.client.get("/v1/me/sessions", headers=laptop)).json()["items"]
    laptop_id = next(s["id"] for s in sessions if s["current"])

    revoked = await gateway.client.delete(f"/v1/me/sessions/{laptop_id}", headers=admin)
    assert revoked.status_code == 204
    refused = await gateway.client.get("/v1/me", headers=laptop)
    assert refused.status_code == 401
    assert (await gateway.client.get("/v1/me", headers=admin)).status_code == 200


async def test_a_revocation_made_elsewhere_holds_once_the_entry_ends(gateway):
    cache: PrincipalCache = gateway.app.state.principal_cache
    cache.ttl_seconds = 3600  # the entry outlives the test: only its end is under test here
    headers = await gateway.login()
    assert (await gateway.client.get("/v1/me", headers=headers)).status_code == 200
    # As another replica would: straight in the database, this replica not told.
    async with gateway.app.state.database.session() as session:
        await session.execute(
            update(LoginSession).values(revoked_at=utcnow(), revoked_reason="revoked")
        )
        await session.commit()
    assert (await gateway.client.get("/v1/me", headers=headers)).status_code == 200
    cache.invalidate()  # what the entry's end does
    assert (await gateway.client.get("/v1/me", headers=headers)).status_code == 401


def test_an_entry_never_outlives_its_token_or_its_ttl():
    clock = Clock()
    cache = PrincipalCache(5.0, clock=clock)
    cache.put("a", None, USER, session_id=None, read_at_generation=0)
    cache.put("b", None, USER, session_id=None, read_at_generation=0, expires_at=time.time() + 2)
    clock.now += 1
    assert cache.get("a", None) is not None and cache.get("b", None) is not None
    clock.now += 1.5
    assert cache.get("a", None) is not None
    assert cache.get("b", None) is None  # its token has expired
    clock.now += 3
    assert cache.get("a", None) is None


def test_a_lookup_overtaken_by_a_write_is_not_stored_and_zero_disables():
    cache = PrincipalCache(5.0, clock=Clock())
    started_at = cache.generation
    cache.invalidate()  # a write completed while the lookup read the database
    cache.put("a", None, USER, session_id=None, read_at_generation=started_at)
    assert cache.get("a", None) is None
    cache.put("a", "w1", USER, session_id=uuid4(), read_at_generation=cache.generation)
    assert cache.get("a", "w1") is not None and cache.get("a", None) is None

    disabled = PrincipalCache(0.0, clock=Clock())
    disabled.put("a", None, USER, session_id=None, read_at_generation=0)
    assert disabled.get("a", None) is None


def test_an_internal_token_is_reused_for_half_its_life_then_signed_again(monkeypatch):
    signed = []

    def counting(principal, *, secret, ttl_seconds):
        signed.append(principal)
        return issue_internal_token(principal, secret=secret, ttl_seconds=ttl_seconds)

    monkeypatch.setattr(internal_tokens, "issue_internal_token", counting)
    clock = Clock(now=2_000_000_000.0)
    tokens = InternalTokens("s" * 64, 60, clock=clock)
    first = tokens.for_principal(USER)
    assert tokens.for_principal(USER) == first
    assert signed == [USER]
    other = Principal(subject="u2", kind="user")
    assert read_internal_token(tokens.for_principal(other), secret="s" * 64) == other
    clock.now += 29
    tokens.for_principal(USER)
    assert signed == [USER, other]
    clock.now += 2  # past half of the 60 s
    tokens.for_principal(USER)
    assert signed == [USER, other, USER]
