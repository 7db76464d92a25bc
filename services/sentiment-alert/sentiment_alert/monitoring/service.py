from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.clock import utcnow
from sentiment_alert.monitoring.matcher import RuleMatcher
from sentiment_alert.monitoring.models import MonitoringRule
from sentiment_alert.monitoring.schemas import RuleIn
from yunying_shared.errors import Conflict, NotFound
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page


async def list_rules(session: AsyncSession, *, workspace_id: UUID) -> list[MonitoringRule]:
    rows = await session.scalars(
        select(MonitoringRule)
        .where(MonitoringRule.workspace_id == workspace_id)
        .order_by(MonitoringRule.id)
    )
    return list(rows)


async def get_rule(session: AsyncSession, *, workspace_id: UUID, rule_id: int) -> MonitoringRule:
    rule = await session.scalar(
        select(MonitoringRule).where(
            MonitoringRule.workspace_id == workspace_id, MonitoringRule.id == rule_id
        )
    )
    if rule is None:
        raise NotFound(f"Monitoring rule {rule_id} not found.")
    return rule


async def _ensure_unique(
    session: AsyncSession, workspace_id: UUID, keyword: str, rule_id: int | None
) -> None:
    existing = await session.scalar(
        select(MonitoringRule.id).where(
            MonitoringRule.workspace_id == workspace_id, MonitoringRule.keyword == keyword
        )
    )
    if existing is not None and existing != rule_id:
        raise Conflict(f"A rule for keyword {keyword!r} exists already.", field="body.keyword")


async def create_rule(session: AsyncSession, *, workspace_id: UUID, data: RuleIn) -> MonitoringRule:
    await _ensure_unique(session, workspace_id, data.keyword, None)
    now = utcnow()
    rule = MonitoringRule(
        workspace_id=workspace_id,
        kind=data.kind,
        keyword=data.keyword,
        terms=data.terms,
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    await session.flush()
    return rule


async def update_rule(
    session: AsyncSession, *, workspace_id: UUID, rule_id: int, data: RuleIn
) -> MonitoringRule:
    rule = await get_rule(session, workspace_id=workspace_id, rule_id=rule_id)
    await _ensure_unique(session, workspace_id, data.keyword, rule_id)
    rule.kind, rule.keyword, rule.terms = data.kind, data.keyword, data.terms
    rule.updated_at = utcnow()
    await session.flush()
    return rule


async def delete_rule(session: AsyncSession, *, workspace_id: UUID, rule_id: int) -> None:
    rule = await get_rule(session, workspace_id=workspace_id, rule_id=rule_id)
    await session.delete(rule)
    await session.flush()


async def matcher_for(session: AsyncSession, *, workspace_id: UUID) -> RuleMatcher:
    rules = await list_rules(session, workspace_id=workspace_id)
    return RuleMatcher((r.keyword, r.kind, r.terms) for r in rules)


async def page_rules(
    session: AsyncSession, *, workspace_id: UUID, page: PageRequest, kind: str | None = None
) -> RowsPage[MonitoringRule]:
    """The workspace's monitoring rules, oldest first."""
    query = select(MonitoringRule).where(MonitoringRule.workspace_id == workspace_id)
    if kind is not None:
        query = query.where(MonitoringRule.kind == kind)
    return await keyset_page(session, query, page, keys=(MonitoringRule.id,))
