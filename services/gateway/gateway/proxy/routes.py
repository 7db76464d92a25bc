"""Which service owns which path. The table is built from the installed service definitions
(`yunying_shared.kit.route_table`); the gateway forwards `/v1/…` by it and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute

from yunying_shared.errors import allowed_methods


def owner_of(table: Mapping[str, str], path: str) -> str | None:
    """The service owning `path`: the longest prefix that matches whole path segments."""
    best: tuple[int, str] | None = None
    for prefix, service in table.items():
        root = prefix.rstrip("/")
        if (path == root or path.startswith(root + "/")) and (best is None or len(root) > best[0]):
            best = (len(root), service)
    return best[1] if best else None


def own_methods(request: Request, catch_all: APIRouter) -> list[str]:
    """The methods the gateway's own routes answer at this path, the proxy's `catch_all` router
    excluded: a `/v1/…` path no service owns may still be one of the gateway's."""

    def is_catch_all(route: Any) -> bool:
        # FastAPI wraps an included router's routes in one route holding the original router.
        return (
            route is catch_all
            or getattr(route, "original_router", None) is catch_all
            or (
                getattr(route, "endpoint", None)
                in {r.endpoint for r in catch_all.routes if isinstance(r, APIRoute)}
            )
        )

    return allowed_methods(request.app.router, request.scope, excluding=is_catch_all)
