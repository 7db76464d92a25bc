"""The workspace's allow and deny lists: stored here, passed to the scanner on every scan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_review.lists.exceptions import ListEntryNotFound
from content_review.lists.models import ListEntry
from content_review.lists.schemas import BatchResult, ListEntryIn, ListEntryOut, RejectedEntry
from content_review.scanner import DenyTerm, Severity, WorkspaceLists

MAX_ENTRIES_PER_WORKSPACE = 5_000


def entry_out(entry: ListEntry) -> ListEntryOut:
    return ListEntryOut(
        id=entry.id,
        list=entry.list_kind,
        term=entry.term,
        severity=entry.severity,
        suggestion=entry.suggestion,
        created_at=entry.created_at,
    )


async def list_entries(session: AsyncSession, *, workspace_id: UUID) -> Sequence[ListEntry]:
    return (
        await session.scalars(
            select(ListEntry).where(ListEntry.workspace_id == workspace_id).order_by(ListEntry.id)
        )
    ).all()


async def workspace_lists(session: AsyncSession, *, workspace_id: UUID) -> WorkspaceLists:
    """The lists as the scanner takes them; ordered by id, so the same lists make an equal
    (hashable) value and the scanner's compiled-automaton cache is hit."""
    allow: list[str] = []
    deny: list[DenyTerm] = []
    for entry in await list_entries(session, workspace_id=workspace_id):
        if entry.list_kind == "allow":
            allow.append(entry.term)
        else:
            severity = Severity(entry.severity or Severity.NEEDS_REVIEW.value)
            deny.append(DenyTerm(entry.term, severity=severity, suggestion=entry.suggestion))
    return WorkspaceLists(allow=tuple(allow), deny=tuple(deny))


def _field_errors(error: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(part) for part in problem["loc"]) or "entry",
            "message": problem["msg"],
        }
        for problem in error.errors()
    ]


async def add_entries(
    session: AsyncSession, *, workspace_id: UUID, rows: list[Any], now: datetime
) -> BatchResult:
    """Each row is judged alone: a malformed or duplicate row is rejected with its fields
    named, the others are stored."""
    existing = {
        (entry.list_kind, entry.term)
        for entry in await list_entries(session, workspace_id=workspace_id)
    }
    created: list[ListEntry] = []
    rejected: list[RejectedEntry] = []
    for index, row in enumerate(rows):
        try:
            entry_in = ListEntryIn.model_validate(row)
        except ValidationError as error:
            rejected.append(RejectedEntry(index=index, errors=_field_errors(error)))
            continue
        problem = _entry_problem(entry_in, existing)
        if problem is not None:
            rejected.append(RejectedEntry(index=index, errors=[problem]))
            continue
        existing.add((entry_in.list, entry_in.term))
        entry = ListEntry(
            workspace_id=workspace_id,
            list_kind=entry_in.list,
            term=entry_in.term,
            severity=(entry_in.severity or "needs_review") if entry_in.list == "deny" else None,
            suggestion=entry_in.suggestion,
            created_at=now,
        )
        session.add(entry)
        created.append(entry)
    await session.flush()
    return BatchResult(created=[entry_out(entry) for entry in created], rejected=rejected)


def _entry_problem(entry: ListEntryIn, existing: set[tuple[str, str]]) -> dict[str, str] | None:
    if entry.list == "allow" and entry.severity is not None:
        return {"field": "severity", "message": "only deny entries have a severity"}
    if (entry.list, entry.term) in existing:
        return {"field": "term", "message": f"already on the {entry.list} list"}
    if len(existing) >= MAX_ENTRIES_PER_WORKSPACE:
        return {"field": "term", "message": f"the lists hold at most {MAX_ENTRIES_PER_WORKSPACE}"}
    return None


async def delete_entry(session: AsyncSession, *, workspace_id: UUID, entry_id: int) -> None:
    result = await session.execute(
        delete(ListEntry).where(ListEntry.workspace_id == workspace_id, ListEntry.id == entry_id)
    )
    if not getattr(result, "rowcount", 0):
        raise ListEntryNotFound(f"No list entry {entry_id} in this workspace.")
