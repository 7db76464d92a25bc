"""Window edges: which users' verdicts can have changed on their own between two instants.

A time-dependent verdict changes without any write only when something crosses a window edge:
an event of a counted type gets older than `within_days` (it occurred in [t0 - N, t1 - N)), a
timestamp field gets older than its `within_days` (same interval), or a tag's expiry passes (in
(t0, t1]). Events entering a window are new writes, whose own refresh already covered them.
So between two sweeps only the users with such a crossing need evaluating, whatever the size of
the workspace: the sweep follows each segment's window edges instead of re-running it whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.records.models import Profile, UserEvent, UserTag
from segmentation.segments.fields import FIELDS, Kind
from segmentation.segments.rules import (
    EventCondition,
    FieldCondition,
    RuleNode,
    TagCondition,
    leaves,
)

Span = tuple[datetime, datetime]  # (t0, t1]: the last sweep of a segment, and now


def _crossings(
    rule: RuleNode, t0: datetime, t1: datetime
) -> tuple[list[Any], list[Any], list[Any]]:
    """The rule's edge conditions on events, profiles and tags for the span."""
    events: list[Any] = []
    profiles: list[Any] = []
    tags: list[Any] = []
    for _, leaf in leaves(rule):
        if isinstance(leaf, EventCondition):
            age = timedelta(days=leaf.within_days)
            events.append(
                and_(
                    UserEvent.type == leaf.event_type,
                    UserEvent.occurred_at >= t0 - age,
                    UserEvent.occurred_at < t1 - age,
                )
            )
        elif isinstance(leaf, TagCondition):
            tags.append(
                and_(UserTag.tag == leaf.tag, UserTag.expires_at > t0, UserTag.expires_at <= t1)
            )
        elif isinstance(leaf, FieldCondition) and leaf.operator in (
            "within_days",
            "not_within_days",
        ):
            spec = FIELDS[leaf.field]
            assert spec.kind is Kind.TIMESTAMP
            age = timedelta(days=leaf.value)
            profiles.append(and_(spec.column >= t0 - age, spec.column < t1 - age))
    return events, profiles, tags


def crossing_users(
    workspace_id: UUID, rules: Iterable[tuple[RuleNode, Span]]
) -> Select[Any] | None:
    """One statement listing every user with an edge crossing in its segment's span (None when
    no rule has a window)."""
    events: list[Any] = []
    profiles: list[Any] = []
    tags: list[Any] = []
    for rule, (t0, t1) in rules:
        e, p, t = _crossings(rule, t0, t1)
        events += e
        profiles += p
        tags += t
    parts: list[Select[Any]] = []
    if events:
        parts.append(
            select(UserEvent.user_id).where(UserEvent.workspace_id == workspace_id, or_(*events))
        )
    if profiles:
        parts.append(
            select(Profile.user_id).where(Profile.workspace_id == workspace_id, or_(*profiles))
        )
    if tags:
        parts.append(
            select(UserTag.user_id).where(UserTag.workspace_id == workspace_id, or_(*tags))
        )
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0].distinct()
    return select(union(*parts).subquery().c[0])


async def users_crossing(
    session: AsyncSession, workspace_id: UUID, rules: Iterable[tuple[RuleNode, Span]]
) -> list[str]:
    statement = crossing_users(workspace_id, rules)
    if statement is None:
        return []
    users: set[str] = set((await session.scalars(statement)).all())
    return sorted(users)
