"""The lists as `POST /v1/scan` sees them. Editors scan on every pause in typing and the lists
change rarely, so each process keeps a workspace's lists for a few seconds instead of reading
them on every request. A write through this process forgets them at once; a write through
another replica shows here within `ttl_seconds`. The scan on submit always reads them fresh."""

from __future__ import annotations

import time
from uuid import UUID

from content_review.lists.service import workspace_lists
from content_review.scanner import WorkspaceLists
from yunying_shared.db import Database

MAX_WORKSPACES = 10_000


class ListsCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._entries: dict[UUID, tuple[float, WorkspaceLists]] = {}

    async def lists(self, database: Database, *, workspace_id: UUID) -> WorkspaceLists:
        """A session is opened only on a miss: most scans never touch the database."""
        now = time.monotonic()
        cached = self._entries.get(workspace_id)
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        async with database.session() as session:
            lists = await workspace_lists(session, workspace_id=workspace_id)
        if self.ttl_seconds > 0:
            if len(self._entries) >= MAX_WORKSPACES:
                self._entries.clear()  # rare: simpler than LRU bookkeeping on every hit
            self._entries[workspace_id] = (now, lists)
        return lists

    def forget(self, workspace_id: UUID) -> None:
        self._entries.pop(workspace_id, None)
