"""Which services have recorded a workspace: the first cross-bus flow, made visible."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import BUS
from gateway.workspaces.schemas import PropagationOut, ServicePropagation
from yunying_shared.auth import INTERNAL_TOKEN_HEADER

GATEWAY = "gateway"


async def check_propagation(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    clients: Mapping[str, httpx.AsyncClient],
    internal_token: str,
) -> PropagationOut:
    """`internal_token` speaks for the caller in this workspace to every upstream service."""
    recorded_at: datetime | None = await session.scalar(
        select(BUS.workspaces.c.recorded_at).where(BUS.workspaces.c.id == workspace_id)
    )
    own = ServicePropagation(
        service=GATEWAY, recorded=recorded_at is not None, recorded_at=recorded_at
    )
    upstream = await asyncio.gather(
        *(_ask(name, client, internal_token) for name, client in sorted(clients.items()))
    )
    services = [own, *upstream]
    return PropagationOut(
        workspace_id=workspace_id, services=services, complete=all(s.recorded for s in services)
    )


async def _ask(service: str, client: httpx.AsyncClient, token: str) -> ServicePropagation:
    try:
        response = await client.get(
            f"/v1/{service}/workspace", headers={INTERNAL_TOKEN_HEADER: token}
        )
    except httpx.HTTPError:
        return ServicePropagation(service=service, recorded=False, detail="unreachable")
    if response.status_code == 404:
        return ServicePropagation(service=service, recorded=False)
    if response.status_code != 200:
        return ServicePropagation(
            service=service, recorded=False, detail=f"answered HTTP {response.status_code}"
        )
    return ServicePropagation(
        service=service, recorded=True, recorded_at=response.json().get("recorded_at")
    )
