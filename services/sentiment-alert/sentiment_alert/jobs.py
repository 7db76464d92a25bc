"""The service's periodic jobs: folding the bucket increments that concurrent batches left
pending (mentions/aggregation.py), spike evaluation over every keyword with recent buckets or an
open alert (a quiet hour closes alerts and completes buckets even when no batch arrives), the
crisis statement reminders, webhook deliveries, and FAQ replies due."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import select, union

from sentiment_alert.alerts.models import SpikeAlert
from sentiment_alert.alerts.service import evaluate
from sentiment_alert.clock import hour_of, utcnow
from sentiment_alert.config import Settings
from sentiment_alert.crises.repair import send_reminders
from sentiment_alert.faq.schemas import REPLY_PLATFORMS
from sentiment_alert.mentions.aggregation import fold_pending, workspaces_pending
from sentiment_alert.mentions.models import KeywordBucket
from sentiment_alert.notifications.service import deliver_due
from sentiment_alert.replies.platforms import ReplyPlatforms
from sentiment_alert.replies.service import send_due
from yunying_shared.db import Database
from yunying_shared.logging import get_logger

log = get_logger(__name__)
ACTIVE = timedelta(hours=26)


async def evaluate_all(database: Database, *, now: datetime | None = None) -> int:
    now = now or utcnow()
    async with database.session() as session:
        recent = select(KeywordBucket.workspace_id, KeywordBucket.keyword).where(
            KeywordBucket.bucket_start >= hour_of(now) - ACTIVE
        )
        opened = select(SpikeAlert.workspace_id, SpikeAlert.keyword).where(
            SpikeAlert.state == "open"
        )
        pairs = (await session.execute(union(recent, opened))).all()
    by_workspace: dict[UUID, set[str]] = {}
    for workspace_id, keyword in pairs:
        by_workspace.setdefault(workspace_id, set()).add(keyword)
    changed = 0
    for workspace_id, keywords in by_workspace.items():
        async with database.session() as session, session.begin():
            changed += len(
                await evaluate(session, workspace_id=workspace_id, keywords=keywords, now=now)
            )
    return changed


async def aggregate_pending(database: Database, *, now: datetime | None = None) -> int:
    """Folds what batches left pending and evaluates the keywords it touched: a burst that
    arrived in concurrent batches is evaluated within seconds even if no batch follows."""
    now = now or utcnow()
    async with database.session() as session:
        workspaces = await workspaces_pending(session)
    folded = 0
    for workspace_id in workspaces:
        async with database.session() as session, session.begin():
            keywords = await fold_pending(session, workspace_id, now)
            if keywords:
                await evaluate(session, workspace_id=workspace_id, keywords=keywords, now=now)
                folded += 1
    return folded


async def remind(database: Database, *, now: datetime | None = None) -> int:
    async with database.session() as session, session.begin():
        return await send_reminders(session, now=now or utcnow())


async def deliver(
    database: Database, client: httpx.AsyncClient, *, now: datetime | None = None
) -> int:
    async with database.session() as session, session.begin():
        return await deliver_due(session, client, now=now or utcnow())


async def send_replies(
    database: Database, platforms: ReplyPlatforms, *, now: datetime | None = None
) -> int:
    async with database.session() as session, session.begin():
        return await send_due(session, platforms, now=now or utcnow())


def reply_platforms(app: FastAPI) -> ReplyPlatforms:
    """The platform adapters: a test's or the embedded runner's own (`app.state`), else what
    the settings name."""
    given: ReplyPlatforms | None = getattr(app.state, "reply_platforms", None)
    if given is None:
        settings: Settings = app.state.settings
        given = (
            ReplyPlatforms.recording(REPLY_PLATFORMS)
            if settings.reply_adapter == "recording"
            else ReplyPlatforms({})
        )
        app.state.reply_platforms = given
    return given


async def _forever(name: str, interval: float, run: Callable[[], Awaitable[int]]) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            done = await run()
        except Exception:  # a failed round must not end the loop; the next one retries
            log.exception(f"{name} failed")
        else:
            if done:
                log.info(f"{name} done", count=done)


async def evaluate_alerts_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if settings.jobs_enabled:
        database: Database = app.state.database
        await _forever(
            "alert evaluation", settings.alert_interval_seconds, lambda: evaluate_all(database)
        )


async def aggregate_pending_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if settings.jobs_enabled:
        database: Database = app.state.database
        await _forever(
            "pending aggregation",
            settings.aggregate_interval_seconds,
            lambda: aggregate_pending(database),
        )


async def remind_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if settings.jobs_enabled:
        database: Database = app.state.database
        await _forever(
            "crisis reminders", settings.reminder_interval_seconds, lambda: remind(database)
        )


async def deliver_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if not settings.jobs_enabled:
        return
    database: Database = app.state.database
    # Tests hand in a client on a MockTransport; otherwise one client for the service's life.
    client: httpx.AsyncClient | None = getattr(app.state, "webhook_client", None)
    owned = client is None
    client = client or httpx.AsyncClient()
    try:
        await _forever(
            "webhook delivery",
            settings.delivery_interval_seconds,
            lambda: deliver(database, client),
        )
    finally:
        if owned:
            await client.aclose()


async def send_replies_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if settings.jobs_enabled:
        database: Database = app.state.database
        platforms = reply_platforms(app)
        await _forever(
            "FAQ replies",
            settings.reply_interval_seconds,
            lambda: send_replies(database, platforms),
        )
