"""Alerts: reconcile the detector's view of each keyword with the persisted alert.

One ongoing spike is one alert row: opened once, escalated in place (never de-escalated),
closed when the detector's quiet period passes. Opening or escalating notifies the
workspace's channels; reaching orange or red opens (or escalates) a crisis case."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.alerts.detection import Ongoing, ongoing_spike, stored_buckets
from sentiment_alert.alerts.models import SpikeAlert
from sentiment_alert.crises.service import crisis_for_alert
from sentiment_alert.mentions.aggregation import lock_name
from sentiment_alert.mentions.models import Mention
from sentiment_alert.notifications.service import notify
from sentiment_alert.spikes import AlertLevel, DetectorSettings
from yunying_shared.db import sql_dialect
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page
from yunying_shared.text import normalize_term

TOP_MENTIONS = 5
TOP_TERMS = 10
SCANNED_MENTIONS = 5000
LEVEL_NAMES = {level: level.name.lower() for level in AlertLevel if level}


async def evaluate(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    keywords: Iterable[str],
    now: datetime,
    settings: DetectorSettings | None = None,
) -> list[SpikeAlert]:
    """Evaluates each keyword; returns the alerts opened, escalated or closed."""
    settings = settings or DetectorSettings()
    changed: list[SpikeAlert] = []
    dialect = sql_dialect(session)
    # Concurrent batches (and the periodic job) must not open two alerts for one spike: whoever
    # holds the workspace's aggregation lock evaluates (a batch that folded its buckets holds it
    # already: the lock is re-entrant); the others skip it this time.
    mine = sorted(set(keywords))
    if not mine or not await dialect.try_transaction_lock(session, lock_name(workspace_id)):
        return changed
    buckets = await stored_buckets(
        session, workspace_id=workspace_id, keywords=mine, now=now, settings=settings
    )
    open_alerts = {
        alert.keyword: alert
        for alert in await session.scalars(
            select(SpikeAlert).where(
                SpikeAlert.workspace_id == workspace_id,
                SpikeAlert.keyword.in_(mine),
                SpikeAlert.state == "open",
            )
        )
    }
    for keyword in mine:
        spike = ongoing_spike(buckets.get(keyword, []), now=now, settings=settings)
        alert = open_alerts.get(keyword)
        if spike is None:
            if alert is not None:
                alert.state, alert.closed_at, alert.updated_at = "closed", now, now
                changed.append(alert)
            continue
        if alert is None:
            changed.append(await _open(session, workspace_id, keyword, spike, now))
        elif spike.level > alert.rank:
            await _escalate(session, alert, spike, now)
            changed.append(alert)
        elif spike.peak_mentions > alert.peak_mentions:
            alert.peak_mentions = spike.peak_mentions
    await session.flush()
    return changed


async def _open(
    session: AsyncSession, workspace_id: UUID, keyword: str, spike: Ongoing, now: datetime
) -> SpikeAlert:
    alert = SpikeAlert(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        keyword=keyword,
        level=LEVEL_NAMES[spike.level],
        rank=int(spike.level),
        state="open",
        signals=sorted(spike.signals),
        spike_started_at=spike.spike_started_at,
        opened_at=now,
        escalations=[],
        peak_mentions=spike.peak_mentions,
        updated_at=now,
    )
    await _describe(session, alert, now)
    session.add(alert)
    await session.flush()
    await _announce(session, alert, "opened", now)
    return alert


async def _escalate(
    session: AsyncSession, alert: SpikeAlert, spike: Ongoing, now: datetime
) -> None:
    alert.level, alert.rank = LEVEL_NAMES[spike.level], int(spike.level)
    alert.signals = sorted(set(alert.signals) | spike.signals)
    alert.escalations = [*alert.escalations, {"at": now.isoformat(), "level": alert.level}]
    alert.peak_mentions = max(alert.peak_mentions, spike.peak_mentions)
    alert.updated_at = now
    await _describe(session, alert, now)
    await _announce(session, alert, "escalated", now)


async def _announce(session: AsyncSession, alert: SpikeAlert, what: str, now: datetime) -> None:
    level = AlertLevel(alert.rank)
    mix = alert.sentiment_mix
    await notify(
        session,
        workspace_id=alert.workspace_id,
        subject=f"alert:{alert.id}:{alert.level}",
        title=f"【{level.chinese}色预警】{alert.keyword} {what}",
        body=(
            f"Keyword: {alert.keyword}\nLevel: {alert.level} ({level.chinese})\n"
            f"Peak mentions per hour: {alert.peak_mentions}\n"
            f"Sentiment: {mix.get('neg', 0)} neg / {mix.get('neu', 0)} neu / "
            f"{mix.get('pos', 0)} pos\n"
            f"Top terms: {', '.join(t['term'] for t in alert.top_terms[:5])}"
        ),
        now=now,
    )
    await crisis_for_alert(session, alert=alert, now=now)


async def _describe(session: AsyncSession, alert: SpikeAlert, now: datetime) -> None:
    """Top mentions (by engagement), top terms, platforms and sentiment mix of the spike."""
    rows = await session.scalars(
        select(Mention)
        .where(
            Mention.workspace_id == alert.workspace_id,
            Mention.posted_at >= alert.spike_started_at,
            Mention.posted_at <= now,
        )
        .order_by(Mention.posted_at.desc())
        .limit(SCANNED_MENTIONS)
    )
    mentions = [m for m in rows if alert.keyword in m.keywords]
    terms: Counter[str] = Counter()
    platforms: Counter[str] = Counter()
    mix: Counter[str] = Counter()
    own = normalize_term(alert.keyword)
    for mention in mentions:
        terms.update(set(mention.terms) - {own})
        platforms[mention.platform] += 1
        mix[mention.label] += 1
    top = sorted(mentions, key=lambda m: m.likes + m.comments + m.shares, reverse=True)
    alert.top_mentions = [
        {
            "mention_id": str(m.id),
            "platform": m.platform,
            "author": m.author,
            "text": m.text[:200],
            "url": m.url,
            "label": m.label,
            "engagement": m.likes + m.comments + m.shares,
            "posted_at": m.posted_at.isoformat(),
        }
        for m in top[:TOP_MENTIONS]
    ]
    alert.top_terms = [{"term": t, "count": c} for t, c in terms.most_common(TOP_TERMS)]
    alert.platforms = dict(platforms.most_common())
    alert.sentiment_mix = {label: mix.get(label, 0) for label in ("pos", "neu", "neg")}


async def list_alerts(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    page: PageRequest,
    state: str | None = None,
    level: str | None = None,
    keyword: str | None = None,
) -> RowsPage[SpikeAlert]:
    """Spike alerts, newest first."""
    query = select(SpikeAlert).where(SpikeAlert.workspace_id == workspace_id)
    if state is not None:
        query = query.where(SpikeAlert.state == state)
    if level is not None:
        query = query.where(SpikeAlert.level == level)
    if keyword is not None:
        query = query.where(SpikeAlert.keyword == keyword)
    keys = (SpikeAlert.opened_at, SpikeAlert.id)
    return await keyset_page(session, query, page, keys=keys, descending=True)
