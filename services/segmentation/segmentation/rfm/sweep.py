"""The scheduled sweep: re-score every workspace "as of now", so transitions that happen by
silence (churn, new -> active) are found. Each workspace is its own transaction; a transaction
lock (advisory, on PostgreSQL) makes replicas skip a workspace another replica is sweeping."""

from __future__ import annotations

import asyncio
from uuid import UUID

from fastapi import FastAPI
from sqlalchemy import select, union

from segmentation.config import SegmentationConfig
from segmentation.db import BUS
from segmentation.rfm.schemas import RescoreResult
from segmentation.rfm.service import rescore
from segmentation.settings.models import SegmentationSettings
from yunying_shared.db import Database
from yunying_shared.logging import get_logger

log = get_logger(__name__)


async def sweep_workspace(database: Database, workspace_id: UUID) -> RescoreResult | None:
    async with database.session() as session, session.begin():
        if not await database.sql.try_transaction_lock(
            session, f"segmentation.sweep.{workspace_id}"
        ):
            return None
        # a large re-score writes in parts on connections of their own (rfm/service.py)
        return await rescore(session, workspace_id=workspace_id, parts_on=database)


async def sweep_all(database: Database) -> dict[UUID, RescoreResult]:
    async with database.session() as session:
        known = union(
            select(BUS.workspaces.c.id), select(SegmentationSettings.__table__.c.workspace_id)
        )
        workspace_ids = list((await session.execute(known)).scalars())
    results: dict[UUID, RescoreResult] = {}
    for workspace_id in workspace_ids:
        result = await sweep_workspace(database, workspace_id)
        if result is not None:
            results[workspace_id] = result
            log.info(
                "workspace swept",
                workspace=str(workspace_id),
                profiles=result.profiles,
                changed=result.changed,
                stage_changes=result.stage_changes,
                tier_changes=result.tier_changes,
            )
    return results


async def run_sweeps(app: FastAPI) -> None:
    config: SegmentationConfig = app.state.settings
    if not config.sweep_enabled:
        return
    while True:
        await asyncio.sleep(config.sweep_interval_seconds)
        try:
            await sweep_all(app.state.database)
        except Exception as exc:  # the next round retries; the service keeps serving
            log.warning("sweep failed", error=repr(exc))
