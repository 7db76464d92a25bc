"""Tags per user: manual CRUD, bulk import, and the rules that tag users from their events
(stored here, applied by the after-write pipeline, segmentation.afterwrite.tag_rules).

A tag past its `expires_at` is invisible to reads; setting it again revives it (upsert).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.afterwrite import Touched, after_write
from segmentation.clock import utcnow
from segmentation.records.models import TagRule, UserTag
from segmentation.records.tags import upsert_tags
from segmentation.tags.exceptions import InvalidTagImport, TagNotFound, TagRuleNotFound
from segmentation.tags.schemas import MAX_IMPORT, ImportedTag, ImportResult, TagIn, TagRuleIn
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page
from yunying_shared.storable import echoable

TAGS = UserTag.__table__
_IMPORT_ROWS = TypeAdapter(list[ImportedTag])


async def set_tag(
    session: AsyncSession, *, workspace_id: UUID, user_id: str, tag: TagIn
) -> UserTag:
    now = utcnow()
    await upsert_tags(session, workspace_id, [{"user_id": user_id, **tag.model_dump()}], now)
    await after_write(session, workspace_id=workspace_id, touched=Touched(users=[user_id]))
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
    await after_write(session, workspace_id=workspace_id, touched=Touched(users=[user_id]))


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
                        {
                            "field": echoable(".".join(str(p) for p in e["loc"][1:]) or "<row>"),
                            "message": e["msg"],
                        }
                        for e in exc.errors()
                    ],
                }
            )
            continue
        valid[(tag.user_id, tag.tag)] = tag.model_dump()
    await upsert_tags(session, workspace_id, list(valid.values()), utcnow())
    await after_write(
        session, workspace_id=workspace_id, touched=Touched(users={user for user, _ in valid})
    )
    return ImportResult(imported=len(valid), rejected=rejected)


async def create_rule(session: AsyncSession, *, workspace_id: UUID, rule: TagRuleIn) -> TagRule:
    row = TagRule(workspace_id=workspace_id, created_at=utcnow(), **rule.model_dump())
    session.add(row)
    await session.flush()
    return row


async def list_rules(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    page: PageRequest,
    event_type: str | None = None,
    tag: str | None = None,
) -> RowsPage[TagRule]:
    """The workspace's tagging rules, oldest first, one page at a time."""
    statement = select(TagRule).where(TagRule.workspace_id == workspace_id)
    if event_type is not None:
        statement = statement.where(TagRule.event_type == event_type)
    if tag is not None:
        statement = statement.where(TagRule.tag == tag)
    return await keyset_page(session, statement, page, keys=(TagRule.id,))


async def page_tags(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    user_id: str,
    page: PageRequest,
    kind: str | None = None,
    source: str | None = None,
) -> RowsPage[UserTag]:
    """A user's unexpired tags in tag order, one page at a time."""
    statement = select(UserTag).where(
        UserTag.workspace_id == workspace_id,
        UserTag.user_id == user_id,
        or_(UserTag.expires_at.is_(None), UserTag.expires_at > utcnow()),
    )
    if kind is not None:
        statement = statement.where(UserTag.kind == kind)
    if source is not None:
        statement = statement.where(UserTag.source == source)
    return await keyset_page(session, statement, page, keys=(UserTag.tag, UserTag.id))


async def delete_rule(session: AsyncSession, *, workspace_id: UUID, rule_id: int) -> None:
    result = await session.execute(
        delete(TagRule).where(TagRule.workspace_id == workspace_id, TagRule.id == rule_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise TagRuleNotFound(f"Tag rule {rule_id} does not exist.")
