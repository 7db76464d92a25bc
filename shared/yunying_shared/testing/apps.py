"""Running an app with its lifespan, and calling it as the gateway would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import httpx
from fastapi import FastAPI

from yunying_shared.auth import INTERNAL_TOKEN_HEADER, Principal, issue_internal_token


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (migrations, relay, consumer) and an HTTP client bound to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def user_principal(workspace_id: UUID | None, *roles: str, subject: str = "user-1") -> Principal:
    return Principal(
        subject=subject,
        kind="user",
        workspace_id=workspace_id,
        roles=frozenset(roles or ("admin",)),
    )


def internal_headers(app: FastAPI, principal: Principal) -> dict[str, str]:
    settings = app.state.settings
    token = issue_internal_token(
        principal,
        secret=settings.internal_token_secret.get_secret_value(),
        ttl_seconds=settings.internal_token_ttl_seconds,
    )
    return {INTERNAL_TOKEN_HEADER: token}
