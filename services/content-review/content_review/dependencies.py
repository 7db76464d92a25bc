"""Request-scoped things the routers take: the settings, the clock, the scanner registry, the
lists cache. All `async def`: FastAPI runs a plain `def` dependency in a worker thread, and
the thread hops cost more than these functions do."""

from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Request

from content_review.clock import utcnow
from content_review.config import Settings
from content_review.lists.cache import ListsCache
from content_review.scanner import ScannerRegistry
from content_review.scanning.registry import shared_registry


async def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def _now() -> datetime:
    return utcnow()


async def _registry() -> ScannerRegistry:
    return shared_registry()


async def _lists_cache(request: Request) -> ListsCache:
    cache: ListsCache | None = getattr(request.app.state, "lists_cache", None)
    if cache is None:  # one per app, made on first use
        cache = ListsCache(cast(Settings, request.app.state.settings).scan_lists_cache_seconds)
        request.app.state.lists_cache = cache
    return cache


SettingsDep = Annotated[Settings, Depends(_settings)]
NowDep = Annotated[datetime, Depends(_now)]
RegistryDep = Annotated[ScannerRegistry, Depends(_registry)]
ListsCacheDep = Annotated[ListsCache, Depends(_lists_cache)]
