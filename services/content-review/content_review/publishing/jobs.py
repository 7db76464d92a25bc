"""The due-items job: expiry of unapproved items and publication of scheduled ones."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from content_review.clock import utcnow
from content_review.config import Settings
from content_review.publishing.service import advance_due_items
from yunying_shared.db import Database
from yunying_shared.logging import get_logger

log = get_logger(__name__)


async def advance_once(database: Database) -> int:
    async with database.session() as session, session.begin():
        return await advance_due_items(session, now=utcnow())


async def advance_due_items_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    database: Database = app.state.database
    while True:
        try:
            moved = await advance_once(database)
            if moved:
                log.info("content.due_items_advanced", moved=moved)
        except Exception:  # the loop outlives one bad round (a lost connection)
            log.exception("content.due_items_failed")
        await asyncio.sleep(settings.due_items_interval_seconds)
