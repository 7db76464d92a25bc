"""The review workflow: submit (the automated scan), stage 1 (an operator's check), stage 2
(a reviewer's approval), rejection back to draft, comments and the audit trail.

Every refusal raises before anything is written, and the request's transaction is rolled
back on any error: a 403 or 409 changes neither the item nor its trail."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_review.clock import as_utc
from content_review.items.models import ContentItem
from content_review.items.service import current_revision, get_item
from content_review.review.exceptions import OutOfOrder, SeparationOfDuties
from content_review.review.models import AuditEntry, Comment
from content_review.review.schemas import ReasonIn
from content_review.review.trail import audit, move
from content_review.scanner import ScannerRegistry
from content_review.scanning.service import is_blocking, scan_revision
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page

REJECTABLE_STATES = frozenset(
    {"submitted", "scanned", "operator_checked", "approved", "scheduled", "held"}
)


def _require_state(item: ContentItem, expected: str, step: str) -> None:
    if item.state != expected:
        raise OutOfOrder(
            f"Cannot {step}: the item is {item.state}, this step applies to {expected} items.",
            state=item.state,
        )


def _require_not_past(item: ContentItem, now: datetime, step: str) -> None:
    if item.planned_publish_at is not None and as_utc(item.planned_publish_at) <= now:
        raise OutOfOrder(
            f"Cannot {step}: the planned publish time has passed and the item expires; "
            "edit it with a new publish time.",
            state=item.state,
        )


def _rejection_reason(finding: dict[str, Any]) -> dict[str, Any]:
    where = finding.get("text") or finding.get("image_ref") or ""
    reason = f"{finding['field']}「{where}」: {finding['legal_basis']}"
    if finding.get("suggestion"):
        reason += f" — {finding['suggestion']}"
    return {"reason": reason, "rule_id": finding["rule_id"]}


async def submit(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    item_id: UUID,
    actor_id: str,
    registry: ScannerRegistry,
    now: datetime,
) -> tuple[ContentItem, list[dict[str, Any]]]:
    """draft → submitted → scanned, or back to draft with one reason per blocking finding."""
    item = await get_item(session, workspace_id=workspace_id, item_id=item_id, for_update=True)
    _require_state(item, "draft", "submit")
    _require_not_past(item, now, "submit")
    await move(session, item, "submitted", action="submitted", actor_id=actor_id, now=now)
    revision = await current_revision(session, item)
    findings = await scan_revision(
        session,
        workspace_id=workspace_id,
        platform=item.platform,
        revision=revision,
        registry=registry,
        now=now,
        is_ad=item.is_ad,
    )
    counts = dict(Counter(finding["severity"] for finding in findings))
    if is_blocking(findings):
        reasons = [_rejection_reason(f) for f in findings if f["severity"] == "block"]
        await move(
            session,
            item,
            "draft",
            action="scan_rejected",
            actor_id=None,
            now=now,
            reason=f"{len(reasons)} blocking finding(s): "
            + "; ".join(r["reason"] for r in reasons),
            detail={"reasons": reasons, "findings": counts},
        )
    else:
        await move(
            session,
            item,
            "scanned",
            action="scanned",
            actor_id=None,
            now=now,
            detail={"findings": counts},
        )
    return item, findings


async def operator_check(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    item_id: UUID,
    actor_id: str,
    note: str | None,
    now: datetime,
) -> ContentItem:
    """Stage 1: an operator who is not the author checks the scanned item (and decides on
    its needs-review findings)."""
    item = await get_item(session, workspace_id=workspace_id, item_id=item_id, for_update=True)
    _require_state(item, "scanned", "pass stage 1")
    if actor_id == item.author_id:
        raise SeparationOfDuties("The author of an item cannot check it at stage 1.")
    _require_not_past(item, now, "pass stage 1")
    item.operator_checked_by = actor_id
    await move(
        session,
        item,
        "operator_checked",
        action="operator_checked",
        actor_id=actor_id,
        now=now,
        reason=note,
    )
    return item


async def approve(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    item_id: UUID,
    actor_id: str,
    note: str | None,
    now: datetime,
) -> ContentItem:
    """Stage 2: a reviewer who is neither the author nor the stage-1 operator approves."""
    item = await get_item(session, workspace_id=workspace_id, item_id=item_id, for_update=True)
    _require_state(item, "operator_checked", "approve")
    if actor_id == item.author_id:
        raise SeparationOfDuties("The author of an item cannot approve it.")
    if actor_id == item.operator_checked_by:
        raise SeparationOfDuties("Stage 2 must be done by another person than stage 1's operator.")
    _require_not_past(item, now, "approve")
    item.approved_by = actor_id
    await move(
        session, item, "approved", action="approved", actor_id=actor_id, now=now, reason=note
    )
    return item


async def reject(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    item_id: UUID,
    actor_id: str,
    reasons: Sequence[ReasonIn],
    now: datetime,
) -> ContentItem:
    item = await get_item(session, workspace_id=workspace_id, item_id=item_id, for_update=True)
    if item.state not in REJECTABLE_STATES:
        raise OutOfOrder(
            f"Cannot reject: the item is {item.state}; only items under review, approved, "
            "scheduled or held can be rejected.",
            state=item.state,
        )
    item.operator_checked_by = None
    item.approved_by = None
    await move(
        session,
        item,
        "draft",
        action="rejected",
        actor_id=actor_id,
        now=now,
        reason="; ".join(reason.reason for reason in reasons),
        detail={"reasons": [reason.model_dump() for reason in reasons]},
    )
    return item


async def add_comment(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    item_id: UUID,
    author_id: str,
    body: str,
    now: datetime,
) -> Comment:
    item = await get_item(session, workspace_id=workspace_id, item_id=item_id)
    comment = Comment(
        workspace_id=workspace_id,
        item_id=item.id,
        revision=item.revision,
        author_id=author_id,
        body=body,
        created_at=now,
    )
    session.add(comment)
    await session.flush()
    audit(
        session,
        item,
        action="commented",
        actor_id=author_id,
        now=now,
        detail={"comment_id": comment.id},
    )
    await session.flush()
    return comment


async def list_comments(
    session: AsyncSession, *, workspace_id: UUID, item_id: UUID, page: PageRequest
) -> RowsPage[Comment]:
    """An item's comments, oldest first."""
    await get_item(session, workspace_id=workspace_id, item_id=item_id)
    statement = select(Comment).where(
        Comment.workspace_id == workspace_id, Comment.item_id == item_id
    )
    return await keyset_page(session, statement, page, keys=(Comment.id,))


async def list_audit(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    item_id: UUID,
    page: PageRequest,
    action: str | None = None,
) -> RowsPage[AuditEntry]:
    """An item's audit trail, oldest first; `action` keeps one kind of step."""
    await get_item(session, workspace_id=workspace_id, item_id=item_id)
    statement = select(AuditEntry).where(
        AuditEntry.workspace_id == workspace_id, AuditEntry.item_id == item_id
    )
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    return await keyset_page(session, statement, page, keys=(AuditEntry.id,))
