"""The sender: claim due sends, apply crisis pause, quiet hours and the frequency cap, deliver
the winners through their channel outside any transaction, and log every attempt.

Claiming takes rows with FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite has one writer and the
clause compiles to nothing), so replicas share the work without an advisory lock. A claimed
send is `sending` with `claimed_at`; if its replica dies before recording the result, the lease
runs out and it is claimed again (the channel gets the same Idempotency-Key)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import String, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.crisis.service import open_cases
from campaigns.sending.channels import Channels, Delivery, OutboundMessage
from campaigns.sending.models import TAG_CHANNEL, DeliveryAttempt, Send
from campaigns.sending.rules import Rules, rules_for
from yunying_shared.db import Database, sql_dialect


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    hold: timedelta,
    lease: timedelta,
    default_cap: tuple[int, int],
) -> list[Send]:
    """Decides the fate of due sends: paused, deferred, capped, or claimed (returned)."""
    due = list(
        await session.scalars(
            select(Send)
            .where(
                or_(
                    (Send.state == "pending")
                    & (Send.due_at <= now)
                    & (Send.created_at <= now - hold),
                    (Send.state == "sending") & (Send.claimed_at <= now - lease),
                )
            )
            .order_by(Send.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not due:
        return []
    workspaces = {send.workspace_id for send in due}
    crises = await open_cases(session, workspace_ids=workspaces)
    rules = await rules_for(session, workspace_ids=workspaces, default_cap=default_cap)
    contenders: dict[tuple[UUID, str], list[Send]] = defaultdict(list)
    claimed: list[Send] = []
    for send in due:
        if send.channel == TAG_CHANNEL:
            claimed.append(send)
            continue
        crisis = crises.get(send.workspace_id)
        if crisis is not None and send.promotional:
            send.state = "paused"
            send.reason = f"crisis {crisis.case_id} open ({crisis.level}): {crisis.title}"[:300]
            continue
        quiet_until = rules[send.workspace_id].quiet_until(now)
        if quiet_until is not None:
            send.due_at = quiet_until
            send.reason = f"deferred: quiet hours until {quiet_until.isoformat()}"
            continue
        contenders[(send.workspace_id, send.user_id)].append(send)
    used = await _used_caps(session, rules, contenders, now)
    for (workspace_id, user_id), sends in contenders.items():
        claimed += _apply_cap(rules[workspace_id], sends, used.get((workspace_id, user_id), 0))
    for send in claimed:
        send.state = "sending"
        send.claimed_at = now
    await session.flush()
    return claimed


async def _used_caps(
    session: AsyncSession,
    rules: dict[UUID, Rules],
    contenders: dict[tuple[UUID, str], list[Send]],
    now: datetime,
) -> dict[tuple[UUID, str], int]:
    """Per contending user, the messages already sent (or being sent) in their workspace's cap
    window, the contenders themselves left out: one grouped count per workspace for the whole
    claim, not a query per user."""
    contending = [send.id for sends in contenders.values() for send in sends]
    users: dict[UUID, list[str]] = defaultdict(list)
    for workspace_id, user_id in contenders:
        users[workspace_id].append(user_id)
    sql = sql_dialect(session)
    used: dict[tuple[UUID, str], int] = {}
    for workspace_id, user_ids in users.items():
        window = timedelta(hours=rules[workspace_id].cap_window_hours)
        counts = await session.execute(
            select(Send.user_id, func.count())
            .where(
                Send.workspace_id == workspace_id,
                sql.in_list(Send.user_id, "users", String(), sorted(user_ids)),
                Send.state.in_(("sent", "sending")),
                Send.channel != TAG_CHANNEL,
                func.coalesce(Send.sent_at, Send.claimed_at) > now - window,
                Send.id.not_in(contending),
            )
            .group_by(Send.user_id)
        )
        used.update({(workspace_id, user_id): int(n) for user_id, n in counts})
    return used


def _apply_cap(rules: Rules, sends: list[Send], used: int) -> list[Send]:
    """One cap per user across all campaigns: the highest priorities take what is left of it;
    the others are recorded as capped, naming who won."""
    room = max(0, rules.cap_count - used)
    ranked = sorted(sends, key=lambda s: (-s.priority, s.created_at, str(s.id)))
    winners, losers = ranked[:room], ranked[room:]
    cap = f"frequency cap {rules.cap_count} per {rules.cap_window_hours}h"
    for loser in losers:
        loser.state = "capped"
        if winners:
            top = winners[0]
            loser.reason = (
                f"{cap}: campaign {top.campaign_id} (priority {top.priority}) won over "
                f"priority {loser.priority}"
            )
        else:
            loser.reason = f"{cap}: {used} already sent in the window"
    return winners


async def record(session: AsyncSession, send: Send, delivery: Delivery, now: datetime) -> None:
    stored = await session.get(Send, send.id, with_for_update=True)
    if stored is None or stored.state != "sending":
        return
    for attempt in delivery.attempts:
        session.add(
            DeliveryAttempt(
                send_id=send.id,
                workspace_id=send.workspace_id,
                channel=send.channel,
                attempt=stored.attempts + attempt.number,
                status_code=attempt.status_code,
                outcome=attempt.outcome,
                error=attempt.error,
                duration_ms=attempt.duration_ms,
                at=now,
            )
        )
    stored.attempts += len(delivery.attempts)
    if delivery.delivered:
        stored.state, stored.sent_at, stored.reason = "sent", now, None
    else:
        last = delivery.attempts[-1] if delivery.attempts else None
        stored.state = "failed"
        stored.reason = (
            f"{last.outcome} after {len(delivery.attempts)} attempts "
            f"(HTTP {last.status_code}): {last.error}"
            if last
            else f"no channel configured for {send.channel}"
        )[:300]
    await session.flush()


async def dispatch_once(
    database: Database,
    channels: Channels,
    *,
    now: datetime,
    limit: int,
    hold: timedelta,
    lease: timedelta,
    default_cap: tuple[int, int],
) -> int:
    """One round: claim (committed), deliver concurrently, record. Returns sends claimed."""
    async with database.session() as session, session.begin():
        claimed = await claim_due(
            session, now=now, limit=limit, hold=hold, lease=lease, default_cap=default_cap
        )
        session.expunge_all()

    async def deliver(send: Send) -> Delivery:
        channel = channels.get(send.channel)
        if channel is None:
            return Delivery(False, [])
        return await channel.deliver(
            OutboundMessage(
                send_id=send.id,
                workspace_id=send.workspace_id,
                channel=send.channel,
                user_id=send.user_id,
                body=send.body,
                campaign_id=send.campaign_id,
            )
        )

    deliveries = await asyncio.gather(*(deliver(send) for send in claimed))
    async with database.session() as session, session.begin():
        for send, delivery in zip(claimed, deliveries, strict=True):
            await record(session, send, delivery, now)
    return len(claimed)
