"""A short per-workspace cache of complete dashboards, in this replica's memory.

Only complete answers are kept: a partial one is computed again at the next request, so a
service that comes back shows at once. Entries expire after `dashboard_cache_seconds`; the
cache holds at most `MAX_ENTRIES` (oldest dropped first)."""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import date
from uuid import UUID

from gateway.dashboard.schemas import Dashboard

MAX_ENTRIES = 1024
Key = tuple[UUID, date, date]


class DashboardCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Key, tuple[float, Dashboard]] = OrderedDict()

    def get(self, key: Key) -> Dashboard | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, dashboard = found
        if time.monotonic() >= expires:
            del self._entries[key]
            return None
        return dashboard

    def put(self, key: Key, dashboard: Dashboard) -> None:
        if self.ttl_seconds <= 0 or not dashboard.complete:
            return
        self._entries[key] = (time.monotonic() + self.ttl_seconds, dashboard)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
