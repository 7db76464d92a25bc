"""Creating items and their revisions, reading them back, and diffs between revisions."""

from __future__ import annotations

import difflib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_review.items.exceptions import ItemNotFound, NotEditable, RevisionNotFound
from content_review.items.models import ContentItem, ContentRevision
from content_review.items.schemas import ContentIn, ItemCreate, ItemOut, RevisionDiff, RevisionOut
from content_review.review.trail import announce, audit, move
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page, keyset_rows

# An item's copy may change only before anyone reviewed it, or after it expired (a new plan).
EDITABLE_STATES = frozenset({"draft", "expired"})
DIFF_FIELDS = ("title", "body", "tags", "images", "videos", "planned_publish_at")


def _new_revision(
    item: ContentItem, number: int, content: ContentIn, *, author_id: str, now: datetime
) -> ContentRevision:
    return ContentRevision(
        item_id=item.id,
        number=number,
        workspace_id=item.workspace_id,
        title=content.title,
        body=content.body,
        tags=list(content.tags),
        images=[image.model_dump(mode="json") for image in content.images],
        videos=[video.model_dump(mode="json") for video in content.videos],
        planned_publish_at=content.planned_publish_at,
        author_id=author_id,
        created_at=now,
        findings=None,
        scanned_at=None,
    )


async def create_item(
    session: AsyncSession, *, workspace_id: UUID, author_id: str, body: ItemCreate, now: datetime
) -> tuple[ContentItem, ContentRevision]:
    item = ContentItem(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        platform=body.platform,
        account=body.account,
        kind=body.kind,
        state="draft",
        title=body.title,
        revision=1,
        author_id=author_id,
        operator_checked_by=None,
        approved_by=None,
        planned_publish_at=body.planned_publish_at,
        published_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    await session.flush()
    revision = _new_revision(item, 1, body, author_id=author_id, now=now)
    session.add(revision)
    audit(session, item, action="created", actor_id=author_id, now=now, to_state="draft")
    await announce(session, item, from_state=None, actor_id=author_id, reason=None, now=now)
    await session.flush()
    return item, revision


async def revise_item(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    item_id: UUID,
    actor_id: str,
    content: ContentIn,
    now: datetime,
) -> tuple[ContentItem, ContentRevision]:
    """A new revision with the given copy and media; an expired item returns to draft."""
    item = await get_item(session, workspace_id=workspace_id, item_id=item_id, for_update=True)
    if item.state not in EDITABLE_STATES:
        raise NotEditable(
            f"The item is {item.state}: only a draft (or an expired item) can be edited; "
            "reject it back to draft first.",
            state=item.state,
        )
    item.revision += 1
    item.title = content.title
    item.planned_publish_at = content.planned_publish_at
    item.operator_checked_by = None
    item.approved_by = None
    item.updated_at = now
    revision = _new_revision(item, item.revision, content, author_id=actor_id, now=now)
    session.add(revision)
    audit(session, item, action="revised", actor_id=actor_id, now=now)
    if item.state == "expired":
        await move(session, item, "draft", action="reopened", actor_id=actor_id, now=now)
    await session.flush()
    return item, revision


async def get_item(
    session: AsyncSession, *, workspace_id: UUID, item_id: UUID, for_update: bool = False
) -> ContentItem:
    query = select(ContentItem).where(
        ContentItem.workspace_id == workspace_id, ContentItem.id == item_id
    )
    if for_update:
        # Two reviewers acting at once: the second waits and then sees the first one's state.
        query = query.with_for_update()
    item = (await session.scalars(query)).one_or_none()
    if item is None:
        raise ItemNotFound(f"No content item {item_id} in this workspace.")
    return item


async def get_revision(
    session: AsyncSession, *, workspace_id: UUID, item_id: UUID, number: int
) -> ContentRevision:
    revision = await session.get(ContentRevision, (item_id, number))
    if revision is None or revision.workspace_id != workspace_id:
        raise RevisionNotFound(f"Content item {item_id} has no revision {number}.")
    return revision


async def current_revision(session: AsyncSession, item: ContentItem) -> ContentRevision:
    return await get_revision(
        session, workspace_id=item.workspace_id, item_id=item.id, number=item.revision
    )


async def list_revisions(
    session: AsyncSession, *, workspace_id: UUID, item_id: UUID, page: PageRequest
) -> RowsPage[ContentRevision]:
    """An item's revisions, first to last."""
    await get_item(session, workspace_id=workspace_id, item_id=item_id)
    statement = select(ContentRevision).where(
        ContentRevision.workspace_id == workspace_id, ContentRevision.item_id == item_id
    )
    return await keyset_page(session, statement, page, keys=(ContentRevision.number,))


async def list_items(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    state: str | None,
    platform: str | None,
    page: PageRequest,
) -> RowsPage[Any]:
    """Items with their current revision, newest first, as rows of (item, revision)."""
    query = (
        select(ContentItem, ContentRevision)
        .join(
            ContentRevision,
            (ContentRevision.item_id == ContentItem.id)
            & (ContentRevision.number == ContentItem.revision),
        )
        .where(ContentItem.workspace_id == workspace_id)
    )
    if state is not None:
        query = query.where(ContentItem.state == state)
    if platform is not None:
        query = query.where(ContentItem.platform == platform)
    return await keyset_rows(
        session,
        query,
        page,
        keys=(ContentItem.created_at, ContentItem.id),
        key_of=lambda row: (row[0].created_at, row[0].id),
        descending=True,
    )


def _lines(revision: ContentRevision, field: str) -> list[str]:
    value = getattr(revision, field)
    if field == "body":
        return [f"body: {line}" for line in str(value).splitlines()] or ["body: "]
    if isinstance(value, datetime):
        value = value.isoformat()
    elif not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return [f"{field}: {value}"]


async def diff_revisions(
    session: AsyncSession, *, workspace_id: UUID, item_id: UUID, first: int, second: int
) -> RevisionDiff:
    old = await get_revision(session, workspace_id=workspace_id, item_id=item_id, number=first)
    new = await get_revision(session, workspace_id=workspace_id, item_id=item_id, number=second)
    changed = [field for field in DIFF_FIELDS if _lines(old, field) != _lines(new, field)]
    old_lines = [line for field in DIFF_FIELDS for line in _lines(old, field)]
    new_lines = [line for field in DIFF_FIELDS for line in _lines(new, field)]
    diff = difflib.unified_diff(
        old_lines, new_lines, f"revision {first}", f"revision {second}", lineterm=""
    )
    return RevisionDiff(
        item_id=item_id, from_revision=first, to_revision=second, changed=changed, diff=list(diff)
    )


def item_view(
    item: ContentItem, revision: ContentRevision, warnings: Sequence[str] = ()
) -> ItemOut:
    return ItemOut(
        id=item.id,
        platform=item.platform,
        account=item.account,
        kind=item.kind,
        state=item.state,
        revision=item.revision,
        author_id=item.author_id,
        operator_checked_by=item.operator_checked_by,
        approved_by=item.approved_by,
        planned_publish_at=item.planned_publish_at,
        published_at=item.published_at,
        created_at=item.created_at,
        updated_at=item.updated_at,
        current=RevisionOut.model_validate(revision),
        warnings=list(warnings),
    )


async def view(session: AsyncSession, item: ContentItem, warnings: Sequence[str] = ()) -> ItemOut:
    return item_view(item, await current_revision(session, item), warnings)
