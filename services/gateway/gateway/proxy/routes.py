"""Which service owns which path. The table is built from the installed service definitions
(`yunying_shared.kit.route_table`); the gateway forwards `/v1/…` by it and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute

from yunying_shared.errors import allowed_methods


class Owners:
    """The route table as a lookup: the owner of a path is the longest prefix matching whole
    segments, found with one dict probe per leading segment (at most as many as the deepest
    prefix has), instead of a scan of every prefix on every request."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._roots = {prefix.rstrip("/"): service for prefix, service in table.items()}
        self._depth = max((root.count("/") for root in self._roots), default=0)

    def of(self, path: str) -> str | None:
        found = None
        start = 1
        for _ in range(self._depth):
            cut = path.find("/", start)
            service = self._roots.get(path if cut < 0 else path[:cut])
            if service is not None:
                found = service
            if cut < 0:
                break
            start = cut + 1
        return found


def owner_of(table: Mapping[str, str], path: str) -> str | None:
    """The service owning `path`: the longest prefix that matches whole path segments."""
    return Owners(table).of(path)


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
