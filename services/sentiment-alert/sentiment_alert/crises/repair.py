"""Repair tracking, statement reminders and the post-mortem.

Repair: the keyword's negative share over the last 24 hours against its share over the seven
days before the case opened (the baseline); it is back when it is within BASELINE_MARGIN of it.
A close is suggested once the statement is out, the share is back and at least one piece of
content was published since the case opened (content.item_transitioned → published)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.clock import hour_of
from sentiment_alert.crises.models import CrisisCaseRecord
from sentiment_alert.mentions.models import KeywordBucket
from sentiment_alert.notifications.service import notify

BASELINE_DAYS = 7
RECENT = timedelta(hours=24)
BASELINE_MARGIN = 0.05
# Reminders before the statement deadline (and one when it passes): name → time left.
REMINDERS = {"12h": timedelta(hours=12), "2h": timedelta(hours=2), "overdue": timedelta(0)}


@dataclass(frozen=True, slots=True)
class Repair:
    baseline_negative_share: float | None
    recent_negative_share: float | None
    negative_back_to_baseline: bool
    positive_content_published: int
    statement_published: bool
    suggested_close: bool


async def _share(
    session: AsyncSession, case: CrisisCaseRecord, start: datetime, end: datetime
) -> float | None:
    if case.keyword is None:
        return None
    row = (
        await session.execute(
            select(func.sum(KeywordBucket.negative), func.sum(KeywordBucket.mentions)).where(
                KeywordBucket.workspace_id == case.workspace_id,
                KeywordBucket.keyword == case.keyword,
                KeywordBucket.bucket_start >= start,
                KeywordBucket.bucket_start < end,
            )
        )
    ).one()
    negative, mentions = row
    if not mentions:
        return None
    return float(negative or 0) / float(mentions)


async def repair_status(session: AsyncSession, case: CrisisCaseRecord, now: datetime) -> Repair:
    opened_hour = hour_of(case.opened_at)
    baseline = await _share(session, case, opened_hour - timedelta(days=BASELINE_DAYS), opened_hour)
    recent = await _share(session, case, hour_of(now) - RECENT, hour_of(now) + timedelta(hours=1))
    if case.keyword is None:
        back = True  # a manual case without a keyword has no share to wait for
    elif recent is None:
        back = True  # nobody talks about it any more
    else:
        back = recent <= (baseline or 0.0) + BASELINE_MARGIN
    published = case.statement_published_at is not None
    content = len(case.positive_content)
    suggested = case.state == "repairing" and published and back and content > 0
    return Repair(baseline, recent, back, content, published, suggested)


def overdue(case: CrisisCaseRecord, now: datetime) -> bool:
    return (
        case.statement_published_at is None
        and case.state != "closed"
        and (now > case.statement_due_at)
    )


async def send_reminders(session: AsyncSession, *, now: datetime) -> int:
    """Notifies each open case without a statement once per reminder that came due."""
    cases = await session.scalars(
        select(CrisisCaseRecord).where(
            CrisisCaseRecord.state.in_(("warning", "responding")),
            CrisisCaseRecord.statement_published_at.is_(None),
        )
    )
    sent = 0
    for case in cases:
        for name, left in REMINDERS.items():
            if name in case.reminders_sent or now < case.statement_due_at - left:
                continue
            case.reminders_sent = [*case.reminders_sent, name]
            hours = max(0.0, (case.statement_due_at - now).total_seconds() / 3600)
            title = (
                f"【危机】{case.title}: public statement overdue"
                if name == "overdue"
                else f"【危机】{case.title}: statement due in {hours:.0f} h"
            )
            await notify(
                session,
                workspace_id=case.workspace_id,
                subject=f"crisis:{case.id}:{name}",
                title=title,
                body=f"Due at {case.statement_due_at.isoformat()}. Owner: {case.owner or '-'}; "
                f"spokesperson: {case.spokesperson or '-'}; approver: {case.approver or '-'}.",
                now=now,
            )
            case.timeline = [
                *case.timeline,
                {"at": now.isoformat(), "kind": "reminder", "detail": name, "actor": None},
            ]
            sent += 1
    await session.flush()
    return sent


async def postmortem(
    session: AsyncSession, case: CrisisCaseRecord, now: datetime
) -> dict[str, Any]:
    end = case.closed_at or now
    volumes: list[dict[str, Any]] = []
    if case.keyword is not None:
        rows = await session.execute(
            select(
                KeywordBucket.bucket_start,
                KeywordBucket.mentions,
                KeywordBucket.negative,
                KeywordBucket.authors,
            )
            .where(
                KeywordBucket.workspace_id == case.workspace_id,
                KeywordBucket.keyword == case.keyword,
                KeywordBucket.bucket_start >= hour_of(case.opened_at) - timedelta(hours=24),
                KeywordBucket.bucket_start <= end,
            )
            .order_by(KeywordBucket.bucket_start)
        )
        volumes = [
            {"hour": r[0].isoformat(), "mentions": r[1], "negative": r[2], "authors": r[3]}
            for r in rows
        ]
    repair = await repair_status(session, case, now)
    return {
        "case_id": str(case.id),
        "title": case.title,
        "keyword": case.keyword,
        "level": case.level,
        "state": case.state,
        "opened_at": case.opened_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "statement_due_at": case.statement_due_at.isoformat(),
        "statement_published_at": (
            case.statement_published_at.isoformat() if case.statement_published_at else None
        ),
        "statement_on_time": case.statement_published_at is not None
        and case.statement_published_at <= case.statement_due_at,
        "roles": {
            "owner": case.owner,
            "spokesperson": case.spokesperson,
            "approver": case.approver,
        },
        "timeline": case.timeline,
        "actions": [e for e in case.timeline if e["kind"] in ("action", "statement", "state")],
        "volumes": volumes,
        "positive_content": case.positive_content,
        "repair": {
            "baseline_negative_share": repair.baseline_negative_share,
            "recent_negative_share": repair.recent_negative_share,
            "negative_back_to_baseline": repair.negative_back_to_baseline,
        },
    }


def postmortem_csv(report: dict[str, Any]) -> str:
    """One table: the timeline's entries, then the hourly volumes (section column first)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "at", "kind", "detail", "actor", "mentions", "negative", "authors"])
    for entry in report["timeline"]:
        writer.writerow(
            [
                "timeline",
                entry["at"],
                entry["kind"],
                _cell(entry["detail"]),
                entry["actor"] or "",
                *("", "", ""),
            ]
        )
    for volume in report["volumes"]:
        writer.writerow(
            [
                "volume",
                volume["hour"],
                "",
                "",
                "",
                volume["mentions"],
                volume["negative"],
                volume["authors"],
            ]
        )
    return out.getvalue()


def _cell(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
