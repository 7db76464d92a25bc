from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from gateway.apidoc import api_document
from gateway.apikeys.router import router as api_keys_router
from gateway.audit.router import router as audit_router
from gateway.config import GatewaySettings
from gateway.dashboard.router import router as dashboard_router
from gateway.db import BUS, metadata
from gateway.identity.authenticator import gateway_authenticator
from gateway.identity.principal_cache import ForgetPrincipalsOnWrites
from gateway.identity.router import router as identity_router
from gateway.members.router import router as members_router
from gateway.proxy.router import router as proxy_router
from gateway.ratelimit.middleware import RateLimitMiddleware
from gateway.ratelimit.router import router as rate_limits_router
from gateway.ratelimit.stored import stored_limits_applied
from gateway.sessions.router import router as sessions_router
from gateway.upstreams import gateway_lifespan
from gateway.workspaces.router import router as workspaces_router
from yunying_shared.bus import Transport
from yunying_shared.kit import ServiceDefinition, build_app


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with gateway_lifespan(app), stored_limits_applied(app):
        yield


DEFINITION = ServiceDefinition(
    name="gateway",
    title="Yunying API",
    description=(
        "The one entry point of Yunying. Log in at `POST /v1/auth/login`, then send "
        "`Authorization: Bearer <access_token>` (and `X-Workspace-Id` when you belong to more "
        "than one workspace). Machine clients send `X-API-Key`. Every error is an RFC 9457 "
        "problem+json document."
    ),
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
    local_port=8000,
    settings=GatewaySettings,
    # The proxy's catch-all comes last, so the gateway's own routes win.
    routers=(
        identity_router,
        workspaces_router,
        members_router,
        api_keys_router,
        rate_limits_router,
        sessions_router,
        audit_router,
        dashboard_router,
        proxy_router,
    ),
    lifespan=lifespan,
    api_document=api_document,
    authenticator=gateway_authenticator,
    public_paths=("/v1/auth/login", "/v1/auth/refresh", "/v1/auth/logout"),
    middleware=(RateLimitMiddleware, ForgetPrincipalsOnWrites),
    openapi_tags=(
        {"name": "auth", "description": "Log in, refresh and log out; who am I"},
        {"name": "workspaces", "description": "Tenants: one brand or business unit each"},
        {"name": "members", "description": "Who belongs to a workspace, with which role"},
        {"name": "api keys", "description": "Keys for machine clients, bound to a workspace"},
        {
            "name": "rate limits",
            "description": "Sizes of a workspace's and an API key's rate-limit buckets",
        },
        {"name": "sessions", "description": "My logins per device; signing them out"},
        {"name": "audit", "description": "Who did what: admin actions and login attempts"},
        {
            "name": "dashboard",
            "description": "The operations dashboard, composed from every service",
        },
    ),
    # None: call the URLs in the settings' `upstreams`.
    state_defaults={"upstream_transports": None},
)


def create_app(
    settings: GatewaySettings | None = None,
    *,
    transport: Transport | None = None,
    upstreams: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """`upstreams`: in-process transports per service (embedded mode); without them the
    gateway calls the URLs in `settings.upstreams`."""
    return build_app(
        DEFINITION, settings, transport=transport, state={"upstream_transports": upstreams}
    )
