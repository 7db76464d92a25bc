"""What the service holds for its life (the channel adapters' HTTP client) and the jobs it runs:
campaigns started and finished by the clock, due journey steps, the sender."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI

from campaigns import consumers
from campaigns.campaigns.service import advance_by_clock
from campaigns.clock import utcnow
from campaigns.config import Settings
from campaigns.journeys.scheduler import run_due_steps
from campaigns.sending.channels import Channel, Channels, WebhookChannel
from campaigns.sending.dispatcher import dispatch_once
from campaigns.sending.models import CHANNEL_KINDS, TAG_CHANNEL
from yunying_shared.db import Database
from yunying_shared.logging import get_logger

log = get_logger(__name__)


def webhook_channels(settings: Settings, client: httpx.AsyncClient) -> Channels:
    secret = settings.channel_webhook_secret.get_secret_value().encode()
    by_kind: dict[str, Channel] = {}
    for kind in (*CHANNEL_KINDS, TAG_CHANNEL):
        url = settings.channel_webhook_urls.get(kind, settings.channel_webhook_url)
        if url:
            by_kind[kind] = WebhookChannel(
                client,
                url,
                secret,
                max_attempts=settings.channel_max_attempts,
                timeout_seconds=settings.channel_timeout_seconds,
            )
    return Channels(by_kind)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    consumers.FRESHNESS["window"] = timedelta(seconds=settings.trigger_freshness_seconds)
    async with httpx.AsyncClient() as client:
        # Tests (and the embedded runner) may put their own `channels` on app.state first.
        if getattr(app.state, "channels", None) is None:
            app.state.channels = webhook_channels(settings, client)
        yield


async def _every(seconds: float, name: str, work: Callable[[], Awaitable[int]]) -> None:
    """Runs `work` forever: at once again while it found something, else after `seconds`."""
    while True:
        try:
            done = await work()
        except asyncio.CancelledError:
            raise
        except Exception:  # the job must outlive a database hiccup; the log says what broke
            log.exception("job failed", job=name)
            done = 0
        if not done:
            await asyncio.sleep(seconds)


async def advance_campaigns_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    database: Database = app.state.database

    async def work() -> int:
        async with database.session() as session, session.begin():
            return await advance_by_clock(session, now=utcnow())

    await _every(settings.clock_interval_seconds, "campaign clock", work)


async def run_steps_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    database: Database = app.state.database

    async def work() -> int:
        async with database.session() as session, session.begin():
            return await run_due_steps(session, now=utcnow(), limit=settings.step_batch_size)

    await _every(settings.step_interval_seconds, "journey steps", work)


async def send_forever(app: FastAPI) -> None:
    settings: Settings = app.state.settings

    async def work() -> int:
        return await dispatch_once(
            app.state.database,
            app.state.channels,
            now=utcnow(),
            limit=settings.send_batch_size,
            hold=timedelta(seconds=settings.send_hold_seconds),
            lease=timedelta(seconds=settings.send_lease_seconds),
            default_cap=(settings.default_cap_count, settings.default_cap_window_hours),
        )

    await _every(settings.send_interval_seconds, "sender", work)
