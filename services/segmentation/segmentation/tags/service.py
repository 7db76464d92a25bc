"""Tags per user: manual CRUD, bulk import, and rules that tag users from their events.

A tag past its `expires_at` is invisible to reads; setting it again revives it (upsert).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc, utcnow
from segmentation.events.schemas import ValidEvent
from segmentation.events.upsert import dialect_of, insert_for
from segmentation.segments.membership import refresh_memberships
from segmentation.tags.exceptions import InvalidTagImport, TagNotFound, TagRuleNotFound
from segmentation.tags.models import TagRule, UserTag
from segmentation.tags.schemas import MAX_IMPORT, ImportedTag, ImportResult, TagIn, TagRuleIn

TAGS = UserTag.__table__
_IMPORT_ROWS = TypeAdapter(list[ImportedTag])


async def _upsert(
    session: AsyncSession, workspace_id: UUID, rows: list[dict[str, Any]], now: datetime
) -> None:
    if not rows:
        return
    values = [
        {"workspace_id": workspace_id, "created_at": now, "updated_at": now, **row} for row in rows
    ]
    statement = insert_for(dialect_of(session), TAGS).values(values)
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace_id", "user_id", "tag"],
            set_={
                "kind": new.kind,
                "source": new.source,
                "confidence": new.confidence,
                "expires_at": new.expires_at,
                "updated_at": new.updated_at,
            },
        )
    )


async def set_tag(
    session: AsyncSession, *, workspace_id: UUID, user_id: str, tag: TagIn
) -> UserTag:
    now = utcnow()
    await _upsert(session, workspace_id, [{"user_id": user_id, **tag.model_dump()}], now)
    await refresh_memberships(session, workspace_id=workspace_id, user_ids=[user_id])
    row = await session.scalar(
        select(UserTag)
        .where(
            UserTag.workspace_id == workspace_id, UserTag.user_id == user_id, UserTag.tag == tag.tag
        )
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def list_tags(
    session: AsyncSession, *, workspace_id: UUID, user_id: str, now: datetime | None = None
) -> list[UserTag]:
    now = now or utcnow()
    rows = await session.scalars(
        select(UserTag)
        .where(
            UserTag.workspace_id == workspace_id,
            UserTag.user_id == user_id,
            or_(UserTag.expires_at.is_(None), UserTag.expires_at > now),
        )
        .order_by(UserTag.tag)
    )
    return list(rows)


async def remove_tag(session: AsyncSession, *, workspace_id: UUID, user_id: str, tag: str) -> None:
    result = await session.execute(
        delete(UserTag).where(
            UserTag.workspace_id == workspace_id, UserTag.user_id == user_id, UserTag.tag == tag
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise TagNotFound(f"User {user_id!r} has no tag {tag!r}.")
    await refresh_memberships(session, workspace_id=workspace_id, user_ids=[user_id])


def parse_csv(text: str) -> list[dict[str, Any]]:
    """CSV with a header: user_id,tag[,kind,confidence,expires_at]; empty cells mean default."""
    reader = csv.DictReader(io.StringIO(text))
    return [{k: v for k, v in row.items() if k and v not in (None, "")} for row in reader]


async def import_tags(
    session: AsyncSession, *, workspace_id: UUID, rows: Sequence[Any]
) -> ImportResult:
    if len(rows) > MAX_IMPORT:
        raise InvalidTagImport(f"At most {MAX_IMPORT} tags per import.")
    valid: dict[tuple[str, str], dict[str, Any]] = {}
    rejected: list[dict[str, Any]] = []
    for index, raw in enumerate(rows):
        try:
            tag = _IMPORT_ROWS.validate_python([raw])[0]
        except ValidationError as exc:
            rejected.append(
                {
                    "index": index,
                    "errors": [
                        {"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]}
                        for e in exc.errors()
                    ],
                }
            )
            continue
        valid[(tag.user_id, tag.tag)] = tag.model_dump()
    await _upsert(session, workspace_id, list(valid.values()), utcnow())
    await refresh_memberships(
        session, workspace_id=workspace_id, user_ids={user_id for user_id, _ in valid}
    )
    return ImportResult(imported=len(valid), rejected=rejected)


async def create_rule(session: AsyncSession, *, workspace_id: UUID, rule: TagRuleIn) -> TagRule:
    row = TagRule(workspace_id=workspace_id, created_at=utcnow(), **rule.model_dump())
    session.add(row)
    await session.flush()
    return row


async def list_rules(session: AsyncSession, *, workspace_id: UUID) -> list[TagRule]:
    return list(
        await session.scalars(
            select(TagRule).where(TagRule.workspace_id == workspace_id).order_by(TagRule.id)
        )
    )


async def delete_rule(session: AsyncSession, *, workspace_id: UUID, rule_id: int) -> None:
    result = await session.execute(
        delete(TagRule).where(TagRule.workspace_id == workspace_id, TagRule.id == rule_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise TagRuleNotFound(f"Tag rule {rule_id} does not exist.")


def _matches(rule: TagRule, event: ValidEvent) -> bool:
    return rule.event_type == event.type and all(
        event.properties.get(name) == value for name, value in rule.match_properties.items()
    )


async def apply_tag_rules(
    session: AsyncSession, *, workspace_id: UUID, events: Sequence[ValidEvent], now: datetime
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
        for rule in rules:
            if _matches(rule, event):
                expires = (
                    as_utc(event.occurred_at) + timedelta(days=rule.ttl_days)
                    if rule.ttl_days
                    else None
                )
                tags[(event.user_id, rule.tag)] = {
                    "user_id": event.user_id,
                    "tag": rule.tag,
                    "kind": rule.kind,
                    "source": "rule",
                    "confidence": rule.confidence,
                    "expires_at": expires,
                }
    await _upsert(session, workspace_id, [tags[key] for key in sorted(tags)], now)
    return len(tags)
