import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from content_review.main import DEFINITION, create_app
from yunying_shared.bus.local import LocalTransport
from yunying_shared.bus.transport import Transport
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database

AUTHOR, OPERATOR, REVIEWER = "author-1", "operator-2", "reviewer-3"


@pytest.fixture
def service_definition():
    return DEFINITION


@pytest.fixture
def workspace_id() -> uuid.UUID:
    return uuid.uuid4()


class Service:
    """The content-review app, called as the gateway would on behalf of different people."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, workspace_id: uuid.UUID):
        self.app, self.client, self.workspace_id = app, client, workspace_id

    def headers(self, subject: str, *roles: str) -> dict[str, str]:
        principal = user_principal(self.workspace_id, *roles, subject=subject)
        return internal_headers(self.app, principal)

    @property
    def author(self) -> dict[str, str]:
        return self.headers(AUTHOR, "operator")

    @property
    def operator(self) -> dict[str, str]:
        return self.headers(OPERATOR, "operator")

    @property
    def reviewer(self) -> dict[str, str]:
        return self.headers(REVIEWER, "reviewer")

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = {
            "platform": "xiaohongshu",
            "kind": "干货",
            "title": "早八通勤妆",
            # An ad names itself (content-review blocks one that does not).
            "body": "五分钟完成底妆，适合通勤。" + (" #广告" if fields.get("kind") == "ad" else ""),
            "planned_publish_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
            **fields,
        }
        response = await self.client.post("/v1/content/items", headers=self.author, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def step(
        self, item_id: str, step: str, headers: dict[str, str], **body: Any
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/content/items/{item_id}/{step}", headers=headers, json=body or None
        )

    async def approved(self, **fields: Any) -> dict[str, Any]:
        item = await self.create(**fields)
        for step, headers in (
            ("submit", self.author),
            ("operator-check", self.operator),
            ("approve", self.reviewer),
        ):
            response = await self.step(item["id"], step, headers)
            assert response.status_code == 200, response.text
        return dict(response.json())

    async def audit(self, item_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/v1/content/items/{item_id}/audit", headers=self.reviewer
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def item(self, item_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/v1/content/items/{item_id}", headers=self.reviewer)
        assert response.status_code == 200, response.text
        return dict(response.json())


@asynccontextmanager
async def service_on(
    settings_for: Callable[..., Any],
    url: str,
    transport: Transport,
    workspace_id: uuid.UUID,
    **overrides: Any,
) -> AsyncIterator[Service]:
    app = create_app(settings_for("content-review", url, **overrides), transport=transport)
    async with running(app) as client:
        yield Service(app, client, workspace_id)


@pytest.fixture
async def service(dialect, tmp_path, settings_for, workspace_id) -> AsyncIterator[Service]:
    """The service on SQLite and on PostgreSQL (the local transport: these tests are about
    the service, not the broker)."""
    transport = LocalTransport(tmp_path / "bus.sqlite3", partitions=2)
    await transport.start()
    try:
        async with (
            fresh_database(dialect, tmp_path) as url,
            service_on(settings_for, url, transport, workspace_id) as running_service,
        ):
            yield running_service
    finally:
        await transport.stop()
