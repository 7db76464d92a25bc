"""Running an app with its lifespan, and calling it as the gateway would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import httpx
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from yunying_shared.auth import INTERNAL_TOKEN_HEADER, Principal, issue_internal_token
from yunying_shared.testing.redis import free_port


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


class Served:
    """An app on a real loopback port (uvicorn in this event loop, no lifespan), stopped
    (connections refused) and started again: an upstream reached over the network."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.port = free_port()
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            assert not self.task.done(), "the app did not start"
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            await self.task
            self.server = self.task = None
