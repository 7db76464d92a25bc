from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from gateway.config import GatewaySettings
from gateway.db import BUS
from gateway.main import DEFINITION, create_app
from yunying_shared.auth import Principal, PrincipalDep, require_scopes
from yunying_shared.errors import NotFound, install_error_handlers
from yunying_shared.http.middleware import AuthenticationMiddleware, internal_token_authenticator
from yunying_shared.settings import Environment
from yunying_shared.testing.apps import running
from yunying_shared.testing.databases import fresh_database

ADMIN_EMAIL = "admin@yunying.local"
ADMIN_PASSWORD = "admin-passw0rd"
EXPORT_ROWS = 50_000


@pytest.fixture
def service_definition():
    return DEFINITION


@pytest.fixture
def gateway_settings(tmp_path: Path) -> Callable[..., GatewaySettings]:
    def make(database_url: str = "", **overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "environment": Environment.TEST,
            "state_dir": tmp_path / "state",
            "database_url": database_url,
            "relay_idle_seconds": 0.05,
            "consumer_backoff_seconds": 0.01,
            "upstreams": {},
            "admin_password": ADMIN_PASSWORD,
            # Cheap hashes keep the suite fast; production keeps argon2's defaults.
            "password_time_cost": 1,
            "password_memory_kib": 1024,
            "password_parallelism": 1,
            **overrides,
        }
        return GatewaySettings.for_gateway(**values)

    return make


class DownTransport(httpx.AsyncBaseTransport):
    """An upstream whose process is gone."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


def _claims(principal: Principal) -> dict[str, Any]:
    return {
        "subject": principal.subject,
        "kind": principal.kind,
        "workspace_id": str(principal.workspace_id) if principal.workspace_id else None,
        "roles": sorted(principal.roles),
        "scopes": sorted(principal.scopes),
        "is_superuser": principal.is_superuser,
    }


def fake_segmentation(secret: str, recorded: set[UUID]) -> FastAPI:
    """A stand-in upstream that trusts only the internal token, like every real service."""
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(AuthenticationMiddleware, authenticate=internal_token_authenticator(secret))

    @app.api_route("/v1/segmentation/echo", methods=["GET", "POST"])
    async def echo(request: Request, principal: PrincipalDep) -> dict[str, Any]:
        return {
            "principal": _claims(principal),
            "headers": request.headers.items(),
            "query": request.url.query,
            "body": (await request.body()).decode(),
        }

    @app.post("/v1/events", dependencies=[Depends(require_scopes("events:write"))])
    async def events(principal: PrincipalDep) -> dict[str, Any]:
        return {"accepted": True, "principal": _claims(principal)}

    @app.get("/v1/segmentation/export")
    async def export() -> StreamingResponse:
        rows = (f"{i},user-{i},active\n".encode() for i in range(EXPORT_ROWS))
        return StreamingResponse(rows, media_type="text/csv")

    @app.get("/v1/segmentation/workspace")
    async def workspace(principal: PrincipalDep) -> dict[str, Any]:
        if principal.workspace_id not in recorded:
            raise NotFound("not recorded yet")
        return {"id": str(principal.workspace_id), "recorded_at": "2026-11-26T08:00:00Z"}

    return app


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient
    recorded: set[UUID]
    admin_email: str = ADMIN_EMAIL
    admin_password: str = ADMIN_PASSWORD

    async def login(
        self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
    ) -> dict[str, str]:
        response = await self.client.post(
            "/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def outbox_count(self) -> int:
        async with self.app.state.database.session() as session:
            return int(await session.scalar(select(func.count()).select_from(BUS.outbox)) or 0)

    async def demo_id(self, headers: dict[str, str]) -> str:
        listed = (await self.client.get("/v1/workspaces", headers=headers)).json()["items"]
        return next(w["id"] for w in listed if w["slug"] == "demo")


@pytest.fixture
async def database_url(dialect: str, tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(dialect, tmp_path) as url:
        yield url


@pytest.fixture
async def gateway(database_url, gateway_settings, local_transport) -> AsyncIterator[Gateway]:
    settings = gateway_settings(database_url)
    recorded: set[UUID] = set()
    upstream = fake_segmentation(settings.internal_token_secret.get_secret_value(), recorded)
    app = create_app(
        settings,
        transport=local_transport,
        upstreams={
            "segmentation": httpx.ASGITransport(app=upstream),
            "campaigns": DownTransport(),
        },
    )
    async with running(app) as client:
        yield Gateway(app, client, recorded)


@pytest.fixture
def gateway_with(
    tmp_path: Path, gateway_settings: Callable[..., GatewaySettings], local_transport: Any
) -> Callable[..., AbstractAsyncContextManager[Gateway]]:
    """A gateway on a fresh SQLite database, with these settings overrides."""

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[Gateway]:
        async with fresh_database("sqlite", tmp_path / uuid4().hex) as url:
            settings = gateway_settings(url, **overrides)
            recorded: set[UUID] = set()
            secret = settings.internal_token_secret.get_secret_value()
            app = create_app(
                settings,
                transport=local_transport,
                upstreams={
                    "segmentation": httpx.ASGITransport(app=fake_segmentation(secret, recorded)),
                    "campaigns": DownTransport(),
                },
            )
            async with running(app) as client:
                yield Gateway(app, client, recorded)

    return make
