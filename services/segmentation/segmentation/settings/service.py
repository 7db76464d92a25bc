from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.settings.models import SegmentationSettings
from segmentation.settings.schemas import SettingsIn, SettingsOut
from yunying_shared.db import sql_dialect


async def get_settings(session: AsyncSession, *, workspace_id: UUID) -> SegmentationSettings:
    """The workspace's settings row, created with the defaults on first use (concurrent first
    uses race on the primary key, hence ON CONFLICT DO NOTHING)."""
    row = await session.get(SegmentationSettings, workspace_id)
    if row is None:
        defaults = SettingsIn()
        await session.execute(
            sql_dialect(session)
            .insert(SegmentationSettings.__table__)
            .values(
                workspace_id=workspace_id,
                rfm_window_days=None,
                custom_edges=defaults.custom_edges.model_dump(),
                lifecycle_rules=defaults.lifecycle_rules.model_dump(),
                last_edges={},
                last_scored_at=None,
                updated_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=["workspace_id"])
        )
        row = await session.get(SegmentationSettings, workspace_id)
        assert row is not None
    return row


def describe(row: SegmentationSettings) -> SettingsOut:
    return SettingsOut(
        rfm_window_days=row.rfm_window_days,
        custom_edges=row.custom_edges,
        lifecycle_rules=row.lifecycle_rules,
        last_edges=row.last_edges,
    )


async def update_settings(
    session: AsyncSession, *, workspace_id: UUID, changes: SettingsIn
) -> SettingsOut:
    row = await get_settings(session, workspace_id=workspace_id)
    row.rfm_window_days = changes.rfm_window_days
    row.custom_edges = changes.custom_edges.model_dump()
    row.lifecycle_rules = changes.lifecycle_rules.model_dump()
    row.updated_at = datetime.now(UTC)
    await session.flush()
    return describe(row)
