"""Notifications: queued in the deciding transaction, delivered by a job with retries.

Queuing writes one pending delivery per enabled channel of the workspace; the job sends what
is due, marks it delivered, or schedules the next attempt with exponential back-off until
MAX_ATTEMPTS, after which it is failed. Every attempt's outcome stays in the delivery log."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.notifications.formats import build_request, refusal
from sentiment_alert.notifications.models import NotificationChannel, NotificationDelivery
from sentiment_alert.notifications.schemas import ChannelIn
from yunying_shared.errors import NotFound
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page

MAX_ATTEMPTS = 4
FIRST_RETRY = timedelta(seconds=30)
TIMEOUT = httpx.Timeout(5.0)
DUE_PER_RUN = 100


async def create_channel(
    session: AsyncSession, *, workspace_id: UUID, data: ChannelIn, now: datetime
) -> NotificationChannel:
    channel = NotificationChannel(workspace_id=workspace_id, created_at=now, **data.model_dump())
    session.add(channel)
    await session.flush()
    return channel


async def list_channels(session: AsyncSession, *, workspace_id: UUID) -> list[NotificationChannel]:
    rows = await session.scalars(
        select(NotificationChannel)
        .where(NotificationChannel.workspace_id == workspace_id)
        .order_by(NotificationChannel.id)
    )
    return list(rows)


async def delete_channel(session: AsyncSession, *, workspace_id: UUID, channel_id: int) -> None:
    channel = await session.scalar(
        select(NotificationChannel).where(
            NotificationChannel.workspace_id == workspace_id, NotificationChannel.id == channel_id
        )
    )
    if channel is None:
        raise NotFound(f"Channel {channel_id} not found.")
    await session.delete(channel)
    await session.flush()


async def list_deliveries(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    page: PageRequest,
    status: str | None = None,
    channel_id: int | None = None,
) -> RowsPage[NotificationDelivery]:
    """The delivery log, newest first."""
    query = select(NotificationDelivery).where(NotificationDelivery.workspace_id == workspace_id)
    if status is not None:
        query = query.where(NotificationDelivery.status == status)
    if channel_id is not None:
        query = query.where(NotificationDelivery.channel_id == channel_id)
    return await keyset_page(session, query, page, keys=(NotificationDelivery.id,), descending=True)


async def page_channels(
    session: AsyncSession, *, workspace_id: UUID, page: PageRequest, kind: str | None = None
) -> RowsPage[NotificationChannel]:
    """The workspace's webhook channels, oldest first."""
    query = select(NotificationChannel).where(NotificationChannel.workspace_id == workspace_id)
    if kind is not None:
        query = query.where(NotificationChannel.kind == kind)
    return await keyset_page(session, query, page, keys=(NotificationChannel.id,))


async def notify(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    subject: str,
    title: str,
    body: str,
    now: datetime,
) -> int:
    """Queues the message for every enabled channel; returns how many."""
    channels = await session.scalars(
        select(NotificationChannel).where(
            NotificationChannel.workspace_id == workspace_id,
            NotificationChannel.enabled.is_(True),
        )
    )
    count = 0
    for channel in channels:
        session.add(
            NotificationDelivery(
                workspace_id=workspace_id,
                channel_id=channel.id,
                subject=subject[:64],
                title=title[:200],
                body=body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        count += 1
    await session.flush()
    return count


async def _attempt(
    client: httpx.AsyncClient,
    channel: NotificationChannel,
    delivery: NotificationDelivery,
    now: datetime,
) -> tuple[int | None, str | None]:
    request = build_request(
        channel.kind,
        channel.url,
        channel.secret,
        delivery.title,
        delivery.body,
        timestamp_ms=int(now.timestamp() * 1000),
    )
    try:
        response = await client.post(request.url, json=request.body, timeout=TIMEOUT)
    except httpx.TimeoutException:
        return None, "timed out"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return response.status_code, refusal(channel.kind, response.status_code, response.content)


async def deliver_due(session: AsyncSession, client: httpx.AsyncClient, *, now: datetime) -> int:
    """Sends the deliveries that are due; returns how many were attempted."""
    due = list(
        await session.scalars(
            select(NotificationDelivery)
            .where(
                NotificationDelivery.status == "pending",
                NotificationDelivery.next_attempt_at <= now,
            )
            .order_by(NotificationDelivery.id)
            .limit(DUE_PER_RUN)
        )
    )
    for delivery in due:
        channel = await session.get(NotificationChannel, delivery.channel_id)
        delivery.attempts += 1
        if channel is None:
            delivery.status, delivery.last_error = "failed", "channel deleted"
            continue
        status, error = await _attempt(client, channel, delivery, now)
        delivery.response_status = status
        delivery.last_error = error
        if error is None:
            delivery.status, delivery.delivered_at = "delivered", now
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = now + FIRST_RETRY * 2 ** (delivery.attempts - 1)
    await session.flush()
    return len(due)
