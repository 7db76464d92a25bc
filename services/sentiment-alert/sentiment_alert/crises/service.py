"""Crisis cases: opening (from an alert at orange or above, or a manual report), escalation,
the state machine, roles, the public statement and its 24-hour deadline, closing.

Every change is one timeline entry; opened, escalated, statement_published and resolved are
published on `sentiment.crisis.v1` in the same transaction (campaigns pause promotional sends
and content-review holds ads while a case is open)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.crises.models import CrisisCaseRecord
from sentiment_alert.crises.statement import check_statement
from sentiment_alert.db import BUS, SOURCE
from sentiment_alert.spikes import AlertLevel
from yunying_shared.bus import publish
from yunying_shared.errors import Conflict, NotFound
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import (
    CRISIS_ESCALATED,
    CRISIS_OPENED,
    CRISIS_RESOLVED,
    CRISIS_STATEMENT_PUBLISHED,
    EventSpec,
)
from yunying_shared.events.payloads.sentiment import CrisisCase
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page

if TYPE_CHECKING:
    from sentiment_alert.alerts.models import SpikeAlert

STATEMENT_DEADLINE = timedelta(hours=24)
CRISIS_RANK = AlertLevel.ORANGE
# Forward only, one step at a time; a case can be closed from any state (a false alarm).
NEXT_STATES = {
    "warning": {"responding", "closed"},
    "responding": {"repairing", "closed"},
    "repairing": {"closed"},
    "closed": set(),
}


def _entry(now: datetime, kind: str, detail: str, actor: str | None = None) -> dict[str, Any]:
    return {"at": now.isoformat(), "kind": kind, "detail": detail, "actor": actor}


async def _publish(
    session: AsyncSession, spec: EventSpec[CrisisCase], case: CrisisCaseRecord, now: datetime
) -> None:
    payload = CrisisCase(
        case_id=str(case.id),
        level=case.level,
        state=case.state,
        title=case.title[:200],
        keyword=case.keyword,
        opened_at=case.opened_at,
        occurred_at=now,
    )
    await publish(
        session, BUS, make_event(spec, payload, source=SOURCE, workspace=case.workspace_id)
    )


async def open_case(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    title: str,
    level: AlertLevel,
    now: datetime,
    keyword: str | None = None,
    description: str = "",
    alert_id: UUID | None = None,
    actor: str | None = None,
) -> CrisisCaseRecord:
    source = "alert" if alert_id is not None else "manual"
    case = CrisisCaseRecord(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        alert_id=alert_id,
        keyword=keyword,
        title=title,
        description=description,
        source=source,
        level=level.name.lower(),
        rank=int(level),
        state="warning",
        opened_at=now,
        statement_due_at=now + STATEMENT_DEADLINE,
        reminders_sent=[],
        positive_content=[],
        timeline=[_entry(now, "opened", f"{source}: {title} ({level.name.lower()})", actor)],
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    await _publish(session, CRISIS_OPENED, case, now)
    return case


async def crisis_for_alert(session: AsyncSession, *, alert: SpikeAlert, now: datetime) -> None:
    """An alert at orange or above opens its case once; a later escalation escalates it."""
    if alert.rank < CRISIS_RANK:
        return
    level = AlertLevel(alert.rank)
    if alert.crisis_id is None:
        case = await open_case(
            session,
            workspace_id=alert.workspace_id,
            title=f"{alert.keyword}: {level.chinese}色预警 ({alert.level})",
            level=level,
            now=now,
            keyword=alert.keyword,
            alert_id=alert.id,
        )
        alert.crisis_id = case.id
        return
    existing = await session.get(CrisisCaseRecord, alert.crisis_id)
    if existing is None:
        return
    case = existing
    if case.state == "closed" or alert.rank <= case.rank:
        return
    case.level, case.rank, case.updated_at = alert.level, alert.rank, now
    case.timeline = [*case.timeline, _entry(now, "escalated", f"alert reached {alert.level}")]
    await _publish(session, CRISIS_ESCALATED, case, now)


async def get_case(session: AsyncSession, *, workspace_id: UUID, case_id: UUID) -> CrisisCaseRecord:
    case = await session.scalar(
        select(CrisisCaseRecord).where(
            CrisisCaseRecord.workspace_id == workspace_id, CrisisCaseRecord.id == case_id
        )
    )
    if case is None:
        raise NotFound(f"Crisis case {case_id} not found.")
    return case


async def list_cases(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    page: PageRequest,
    state: str | None = None,
    level: str | None = None,
) -> RowsPage[CrisisCaseRecord]:
    """Crisis cases, newest first."""
    query = select(CrisisCaseRecord).where(CrisisCaseRecord.workspace_id == workspace_id)
    if state is not None:
        query = query.where(CrisisCaseRecord.state == state)
    if level is not None:
        query = query.where(CrisisCaseRecord.level == level)
    keys = (CrisisCaseRecord.opened_at, CrisisCaseRecord.id)
    return await keyset_page(session, query, page, keys=keys, descending=True)


async def transition(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    case_id: UUID,
    to_state: str,
    note: str,
    actor: str,
    now: datetime,
) -> CrisisCaseRecord:
    case = await get_case(session, workspace_id=workspace_id, case_id=case_id)
    if to_state not in NEXT_STATES[case.state]:
        allowed = ", ".join(sorted(NEXT_STATES[case.state])) or "none"
        raise Conflict(
            f"A {case.state} case cannot move to {to_state} (allowed: {allowed}).",
            field="body.to_state",
        )
    case.timeline = [
        *case.timeline,
        _entry(now, "state", f"{case.state} → {to_state}" + (f": {note}" if note else ""), actor),
    ]
    case.state, case.updated_at = to_state, now
    if to_state == "closed":
        case.closed_at = now
        await session.flush()
        await _publish(session, CRISIS_RESOLVED, case, now)
    return case


async def set_roles(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    case_id: UUID,
    roles: dict[str, str | None],
    actor: str,
    now: datetime,
) -> CrisisCaseRecord:
    case = await get_case(session, workspace_id=workspace_id, case_id=case_id)
    for role, who in roles.items():
        setattr(case, role, who)
    described = ", ".join(f"{role}={who}" for role, who in roles.items())
    case.timeline = [*case.timeline, _entry(now, "roles", described, actor)]
    case.updated_at = now
    return case


async def add_action(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    case_id: UUID,
    note: str,
    actor: str,
    now: datetime,
) -> CrisisCaseRecord:
    case = await get_case(session, workspace_id=workspace_id, case_id=case_id)
    case.timeline = [*case.timeline, _entry(now, "action", note, actor)]
    case.updated_at = now
    return case


async def publish_statement(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    case_id: UUID,
    text: str,
    actor: str,
    now: datetime,
) -> CrisisCaseRecord:
    """Records the public statement (it must pass the checker) and moves the case to
    repairing; publishes crisis.statement_published."""
    case = await get_case(session, workspace_id=workspace_id, case_id=case_id)
    if case.state not in ("warning", "responding"):
        raise Conflict(f"A {case.state} case has its statement already or is closed.")
    check = check_statement(text)
    if not check.ready:
        raise Conflict(
            f"The statement lacks: {', '.join(check.missing)}.",
            field="body.text",
            missing=check.missing,
        )
    late = now > case.statement_due_at
    case.statement_text, case.statement_published_at = text, now
    case.timeline = [
        *case.timeline,
        _entry(now, "statement", "public statement published" + (" (late)" if late else ""), actor),
    ]
    case.state, case.updated_at = "repairing", now
    await session.flush()
    await _publish(session, CRISIS_STATEMENT_PUBLISHED, case, now)
    return case


async def record_published_content(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    content_id: str,
    title: str,
    kind: str,
    at: datetime,
) -> int:
    """Positive content published during a case counts towards its repair; returns how many
    open cases it was recorded on."""
    cases = await session.scalars(
        select(CrisisCaseRecord).where(
            CrisisCaseRecord.workspace_id == workspace_id,
            CrisisCaseRecord.state != "closed",
            CrisisCaseRecord.opened_at <= at,
        )
    )
    count = 0
    for case in cases:
        if any(item["content_id"] == content_id for item in case.positive_content):
            continue
        item = {"content_id": content_id, "title": title, "kind": kind, "at": at.isoformat()}
        case.positive_content = [*case.positive_content, item]
        case.timeline = [*case.timeline, _entry(at, "content", f"published: {title}")]
        count += 1
    await session.flush()
    return count
