"""Posting cadence per platform: the operations playbook's defaults, per-workspace overrides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_review.publishing.models import CadenceRule

Period = Literal["day", "week"]


@dataclass(frozen=True)
class Cadence:
    platform: str
    period: Period
    minimum: int
    maximum: int
    source: Literal["default", "workspace"]


# Xiaohongshu 3-5 notes a week, Douyin 1-2 videos a day, WeChat 2-3 articles a week; Weibo
# and Bilibili have none in the playbook (a workspace may set one).
DEFAULT_CADENCE: dict[str, Cadence] = {
    "xiaohongshu": Cadence("xiaohongshu", "week", 3, 5, "default"),
    "douyin": Cadence("douyin", "day", 1, 2, "default"),
    "wechat": Cadence("wechat", "week", 2, 3, "default"),
}


async def effective_cadence(session: AsyncSession, *, workspace_id: UUID) -> dict[str, Cadence]:
    cadence = dict(DEFAULT_CADENCE)
    rules: Sequence[CadenceRule] = (
        await session.scalars(select(CadenceRule).where(CadenceRule.workspace_id == workspace_id))
    ).all()
    for rule in rules:
        period: Period = "day" if rule.period == "day" else "week"
        cadence[rule.platform] = Cadence(
            rule.platform, period, rule.minimum, rule.maximum, "workspace"
        )
    return cadence


async def set_cadence(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    platform: str,
    period: Period,
    minimum: int,
    maximum: int,
) -> Cadence:
    rule = await session.get(CadenceRule, (workspace_id, platform))
    if rule is None:
        rule = CadenceRule(workspace_id=workspace_id, platform=platform)
        session.add(rule)
    rule.period, rule.minimum, rule.maximum = period, minimum, maximum
    await session.flush()
    return Cadence(platform, period, minimum, maximum, "workspace")


async def reset_cadence(session: AsyncSession, *, workspace_id: UUID, platform: str) -> None:
    await session.execute(
        delete(CadenceRule).where(
            CadenceRule.workspace_id == workspace_id, CadenceRule.platform == platform
        )
    )
