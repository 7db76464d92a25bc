"""FAQ entries and settings, and the workspace's search index, cached per FAQ revision."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.faq.matching import Candidate, FaqIndex, Variant
from sentiment_alert.faq.models import FaqEntry, FaqSettings
from sentiment_alert.faq.schemas import (
    DEFAULT_THRESHOLD,
    MAX_ENTRIES,
    EntryIn,
    SettingsIn,
)
from yunying_shared.db import sql_dialect
from yunying_shared.errors import Conflict, NotFound

# Per process: (database, workspace) → (revision, index). Building one for 500 entries takes a
# few hundred milliseconds (jieba over every variant); a search on a built one under one.
_INDEXES: OrderedDict[tuple[str, UUID], tuple[int, FaqIndex]] = OrderedDict()
_MAX_CACHED = 256


async def settings_of(session: AsyncSession, *, workspace_id: UUID) -> FaqSettings | None:
    return await session.get(FaqSettings, workspace_id)


async def _ensure_settings(session: AsyncSession, workspace_id: UUID, now: datetime) -> None:
    table = FaqSettings.__table__
    await session.execute(
        sql_dialect(session)
        .insert(table)
        .values(
            workspace_id=workspace_id,
            threshold=DEFAULT_THRESHOLD,
            mode="propose",
            revision=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id"])
    )


async def _bump_revision(session: AsyncSession, workspace_id: UUID, now: datetime) -> None:
    # One UPDATE … SET revision = revision + 1: concurrent writers each get their own step.
    await _ensure_settings(session, workspace_id, now)
    await session.execute(
        update(FaqSettings)
        .where(FaqSettings.workspace_id == workspace_id)
        .values(revision=FaqSettings.revision + 1)
        .execution_options(synchronize_session=False)
    )


async def put_settings(
    session: AsyncSession, *, workspace_id: UUID, data: SettingsIn, now: datetime
) -> FaqSettings:
    await _ensure_settings(session, workspace_id, now)
    await session.execute(
        update(FaqSettings)
        .where(FaqSettings.workspace_id == workspace_id)
        .values(threshold=data.threshold, mode=data.mode, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    settings = await session.get(FaqSettings, workspace_id, populate_existing=True)
    assert settings is not None
    return settings


async def count_entries(session: AsyncSession, *, workspace_id: UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(FaqEntry).where(FaqEntry.workspace_id == workspace_id)
    )
    return int(count or 0)


async def list_entries(session: AsyncSession, *, workspace_id: UUID) -> list[FaqEntry]:
    rows = await session.scalars(
        select(FaqEntry).where(FaqEntry.workspace_id == workspace_id).order_by(FaqEntry.id)
    )
    return list(rows)


async def get_entry(session: AsyncSession, *, workspace_id: UUID, entry_id: int) -> FaqEntry:
    entry = await session.scalar(
        select(FaqEntry).where(FaqEntry.workspace_id == workspace_id, FaqEntry.id == entry_id)
    )
    if entry is None:
        raise NotFound(f"FAQ entry {entry_id} not found.")
    return entry


async def create_entry(
    session: AsyncSession, *, workspace_id: UUID, data: EntryIn, now: datetime
) -> FaqEntry:
    if await count_entries(session, workspace_id=workspace_id) >= MAX_ENTRIES:
        raise Conflict(f"A workspace holds at most {MAX_ENTRIES} FAQ entries.")
    entry = FaqEntry(
        workspace_id=workspace_id,
        questions=data.questions,
        answer=data.answer,
        platforms=data.platforms,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    await session.flush()
    await _bump_revision(session, workspace_id, now)
    return entry


async def update_entry(
    session: AsyncSession, *, workspace_id: UUID, entry_id: int, data: EntryIn, now: datetime
) -> FaqEntry:
    entry = await get_entry(session, workspace_id=workspace_id, entry_id=entry_id)
    entry.questions, entry.answer, entry.platforms = data.questions, data.answer, data.platforms
    entry.updated_at = now
    await session.flush()
    await _bump_revision(session, workspace_id, now)
    return entry


async def delete_entry(
    session: AsyncSession, *, workspace_id: UUID, entry_id: int, now: datetime
) -> None:
    entry = await get_entry(session, workspace_id=workspace_id, entry_id=entry_id)
    await session.delete(entry)
    await session.flush()
    await _bump_revision(session, workspace_id, now)


def build_index(entries: list[FaqEntry]) -> FaqIndex:
    return FaqIndex(
        Variant(entry.id, question, frozenset(entry.platforms))
        for entry in entries
        for question in entry.questions
    )


async def index_for(session: AsyncSession, *, workspace_id: UUID) -> FaqIndex:
    """The workspace's index, rebuilt only when its FAQ changed since it was built."""
    revision = await session.scalar(
        select(FaqSettings.revision).where(FaqSettings.workspace_id == workspace_id)
    )
    revision = int(revision or 0)
    # One process may serve several databases (tests, the embedded runner): revisions are per
    # database, so the database is part of the key.
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), workspace_id)
    cached = _INDEXES.get(key)
    if cached is not None and cached[0] == revision:
        _INDEXES.move_to_end(key)
        return cached[1]
    index = build_index(await list_entries(session, workspace_id=workspace_id))
    _INDEXES[key] = (revision, index)
    _INDEXES.move_to_end(key)
    while len(_INDEXES) > _MAX_CACHED:
        _INDEXES.popitem(last=False)
    return index


async def match(
    session: AsyncSession, *, workspace_id: UUID, text: str, platform: str | None
) -> list[Candidate]:
    index = await index_for(session, workspace_id=workspace_id)
    return index.search(text, platform=platform)


async def answers_of(
    session: AsyncSession, *, workspace_id: UUID, entry_ids: list[int]
) -> dict[int, str]:
    if not entry_ids:
        return {}
    rows = await session.execute(
        select(FaqEntry.id, FaqEntry.answer).where(
            FaqEntry.workspace_id == workspace_id, FaqEntry.id.in_(entry_ids)
        )
    )
    return {entry_id: answer for entry_id, answer in rows}
