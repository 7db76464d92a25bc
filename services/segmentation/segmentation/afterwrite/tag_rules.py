"""Tag rules: events of a type (with matching properties) tag their user."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc
from segmentation.records.models import TagRule
from segmentation.records.tags import upsert_tags


class TaggableEvent(Protocol):
    """What a tag rule reads of an accepted event (events.schemas.ValidEvent has it)."""

    @property
    def user_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def properties(self) -> Mapping[str, Any]: ...


def _matches(rule: TagRule, event: TaggableEvent) -> bool:
    return rule.event_type == event.type and all(
        event.properties.get(name) == value for name, value in rule.match_properties.items()
    )


async def apply_tag_rules(
    session: AsyncSession, *, workspace_id: UUID, events: Sequence[TaggableEvent], now: datetime
) -> int:
    """Tag the users of newly accepted events by the workspace's rules; returns tags set."""
    types = {event.type for event in events}
    rules = list(
        await session.scalars(
            select(TagRule).where(
                TagRule.workspace_id == workspace_id, TagRule.event_type.in_(types)
            )
        )
    )
    if not rules:
        return 0
    tags: dict[tuple[str, str], dict[str, Any]] = {}
    for event in sorted(events, key=lambda e: e.occurred_at):
        occurred_at = as_utc(event.occurred_at) or event.occurred_at
        for rule in rules:
            if _matches(rule, event):
                expires = occurred_at + timedelta(days=rule.ttl_days) if rule.ttl_days else None
                tags[(event.user_id, rule.tag)] = {
                    "user_id": event.user_id,
                    "tag": rule.tag,
                    "kind": rule.kind,
                    "source": "rule",
                    "confidence": rule.confidence,
                    "expires_at": expires,
                }
    await upsert_tags(session, workspace_id, [tags[key] for key in sorted(tags)], now)
    return len(tags)
