from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from gateway.config import GatewaySettings
from gateway.dashboard.cache import DashboardCache
from gateway.dashboard.compose import compose
from gateway.dashboard.schemas import Dashboard
from gateway.dashboard.upstream import internal_headers
from gateway.identity.deps import CorrelationIdDep, SettingsDep
from yunying_shared.auth import Principal, Role, WorkspaceDep, authorize, issue_internal_token
from yunying_shared.errors import InvalidInput

router = APIRouter(tags=["dashboard"])

MAX_DAYS = 366
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "No workspace selected (send `X-Workspace-Id`)"},
    401: {"description": "Not logged in"},
    403: {"description": "Not an analyst, operator or admin of the workspace; or an API key"},
    422: {"description": "`from`/`to` missing, reversed, or more than 366 days apart"},
}
Viewer = Annotated[Principal, Depends(authorize(Role.ANALYST, Role.OPERATOR))]


def _checked(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(
            "`to` is before `from`.",
            errors=[{"field": "query.to", "message": "must be on or after `from`"}],
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(
            f"At most {MAX_DAYS} days per request.",
            errors=[{"field": "query.to", "message": f"range longer than {MAX_DAYS} days"}],
        )


def dashboard_cache(request: Request) -> DashboardCache:
    """One cache per gateway app, created at its first dashboard request."""
    cache: DashboardCache | None = getattr(request.app.state, "dashboard_cache", None)
    if cache is None:
        settings: GatewaySettings = request.app.state.settings
        cache = DashboardCache(settings.dashboard_cache_seconds)
        request.app.state.dashboard_cache = cache
    return cache


@router.get(
    "/v1/dashboard",
    response_model=Dashboard,
    responses=ERRORS,
    summary="The operations dashboard: four indicator layers, lifecycle, crises, review queue",
    description="Composes, from the services in parallel, the playbook's four indicator "
    "layers for the workspace over whole UTC days (`from` and `to` included, at most 366 "
    "days): awareness (exposure, reach, CTR), conversion (conversion rate, first-order "
    "conversion), retention (repurchase rate, active users, churn rate), fission (share "
    "rate, new users from referrals, k-factor); plus the lifecycle stage counts at the end "
    "of the range, open crisis cases and the content review queue.\n\n"
    "Each section carries a `status`: when a service is down (`unavailable`) or slower than "
    "the upstream timeout (`timeout`, `YUNYING_GATEWAY_DASHBOARD_UPSTREAM_TIMEOUT_SECONDS`, "
    "default 3 s), the other sections are still returned and `complete` is false. Complete "
    "answers are cached per workspace and range for `YUNYING_GATEWAY_DASHBOARD_CACHE_SECONDS` "
    "(default 30 s; 0 turns the cache off) in each gateway replica; `cached` says when an "
    "answer came from it. Every figure's definition is in the section descriptions below "
    "and in docs/gateway.md. Analysts, operators and admins of the workspace.",
)
async def read_dashboard(
    request: Request,
    principal: Viewer,
    workspace_id: WorkspaceDep,
    settings: SettingsDep,
    correlation_id: CorrelationIdDep,
    start: Annotated[date, Query(alias="from", description="First day (UTC), included")],
    end: Annotated[date, Query(alias="to", description="Last day (UTC), included")],
) -> Dashboard:
    _checked(start, end)
    cache = dashboard_cache(request)
    key = (workspace_id, start, end)
    cached = cache.get(key)
    if cached is not None:
        return cached.model_copy(update={"cached": True})
    # The services judge the caller again with this token: the dashboard shows nothing the
    # caller could not read from each service directly.
    token = issue_internal_token(
        principal,
        secret=settings.internal_token_secret.get_secret_value(),
        ttl_seconds=settings.internal_token_ttl_seconds,
    )
    dashboard = await compose(
        request.app.state.upstreams,
        workspace_id=workspace_id,
        start=start,
        end=end,
        headers=internal_headers(token, correlation_id),
        timeout=settings.dashboard_upstream_timeout_seconds,
    )
    cache.put(key, dashboard)
    return dashboard
