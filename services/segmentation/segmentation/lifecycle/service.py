"""Stage and tier transitions: stored and published (outbox) in the caller's transaction."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

import numpy as np
from pydantic import TypeAdapter
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import epochs
from segmentation.db import BUS
from segmentation.events.upsert import dialect_of
from segmentation.lifecycle.models import StageChange
from segmentation.lifecycle.rules import STAGES, LifecycleRules, evaluate_stages
from segmentation.profiles.models import Profile
from yunying_shared.bus import publish_encoded
from yunying_shared.events import encode_envelope
from yunying_shared.events.catalogue import USER_LIFECYCLE_STAGE_CHANGED, USER_TIER_CHANGED

SOURCE = "/yunying/segmentation"
# A re-score can move 100,000 users at once: from this many on PostgreSQL the history rows go
# in by binary COPY (a few times faster than multi-row INSERTs; not worth it for small batches).
COPY_FROM = 1000
_DATETIME = TypeAdapter(datetime)


@dataclass(frozen=True)
class Transition:
    user_id: str
    kind: Literal["stage", "tier"]
    from_value: str | None
    to_value: str | None
    reason: str
    detail: dict[str, Any] | None = None  # tier: scores and class; stage: churn reason


def _encoded(
    workspace_id: UUID, transitions: Sequence[Transition], at: datetime
) -> list[tuple[UUID, str, str | None, bytes]]:
    """The events make_event would build, serialized without a model per event and with ids
    from one urandom call: a re-score publishes up to 100,000 of these, and validation, model
    construction and uuid4 per event were most of its Python time. The values come from this
    service's constants and arrays; a test compares the bytes with make_event's."""
    changed_at = _DATETIME.dump_python(at, mode="json")
    sent_at = _DATETIME.dump_python(datetime.now(UTC), mode="json")  # as make_event stamps it
    random = os.urandom(16 * len(transitions))
    events = []
    for i, t in enumerate(transitions):
        detail = t.detail or {}
        if t.kind == "stage":
            event_type = USER_LIFECYCLE_STAGE_CHANGED.type
            data = {
                "user_id": t.user_id,
                "from_stage": t.from_value,
                "to_stage": t.to_value,
                "reason": t.reason,
                "changed_at": changed_at,
                "churn_reason": detail.get("churn_reason"),
            }
        else:
            event_type = USER_TIER_CHANGED.type
            data = {
                "user_id": t.user_id,
                "from_tier": t.from_value,
                "to_tier": t.to_value,
                "r_score": detail.get("r_score"),
                "f_score": detail.get("f_score"),
                "m_score": detail.get("m_score"),
                "rfm_class": detail.get("rfm_class"),
                "changed_at": changed_at,
            }
        event_id = UUID(bytes=random[16 * i : 16 * i + 16], version=4)
        events.append(
            (
                event_id,
                event_type,
                t.user_id,
                encode_envelope(
                    id=event_id,
                    source=SOURCE,
                    type=event_type,
                    time=sent_at,
                    subject=t.user_id,
                    workspace=workspace_id,
                    data=data,
                ),
            )
        )
    return events


async def record_transitions(
    session: AsyncSession, *, workspace_id: UUID, transitions: Sequence[Transition], at: datetime
) -> None:
    if not transitions:
        return
    if len(transitions) >= COPY_FROM and dialect_of(session) == "postgresql":
        connection = (await (await session.connection()).get_raw_connection()).driver_connection
        await connection.copy_records_to_table(
            StageChange.__tablename__,
            columns=[
                "workspace_id",
                "user_id",
                "kind",
                "from_value",
                "to_value",
                "reason",
                "changed_at",
            ],
            records=[
                (workspace_id, t.user_id, t.kind, t.from_value, t.to_value, t.reason, at)
                for t in transitions
            ],
        )
    else:
        await session.execute(
            insert(StageChange),
            [
                {
                    "workspace_id": workspace_id,
                    "user_id": t.user_id,
                    "kind": t.kind,
                    "from_value": t.from_value,
                    "to_value": t.to_value,
                    "reason": t.reason,
                    "changed_at": at,
                }
                for t in transitions
            ],
        )
    await publish_encoded(session, BUS, _encoded(workspace_id, transitions, at))


async def history(session: AsyncSession, *, workspace_id: UUID, user_id: str) -> list[StageChange]:
    rows = await session.scalars(
        select(StageChange)
        .where(StageChange.workspace_id == workspace_id, StageChange.user_id == user_id)
        .order_by(StageChange.changed_at, StageChange.id)
    )
    return list(rows)


async def restage(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    rules: LifecycleRules,
    profiles: Sequence[Any],
    now: datetime,
) -> list[Transition]:
    """Re-evaluate the stage of a few profiles (rows with the Profile column names) as of now;
    store, record and publish the ones that changed."""
    if not profiles:
        return []
    stages = evaluate_stages(
        rules,
        now=now.timestamp(),
        first_purchase=epochs([p.first_purchase_at for p in profiles]),
        last_purchase=epochs([p.last_purchase_at for p in profiles]),
        last_active=epochs([p.last_active_at for p in profiles]),
        f_score=np.array([np.nan if p.f_score is None else p.f_score for p in profiles]),
        m_score=np.array([np.nan if p.m_score is None else p.m_score for p in profiles]),
    )
    transitions: list[Transition] = []
    changed: list[dict[str, Any]] = []
    for profile, code in zip(profiles, stages.tolist(), strict=True):
        stage = STAGES[code]
        if stage == profile.stage:
            continue
        previous = STAGES.index(profile.stage) if profile.stage in STAGES else None
        transitions.append(
            Transition(
                user_id=profile.user_id,
                kind="stage",
                from_value=profile.stage,
                to_value=stage,
                reason=rules.reason(code, previous),
                detail={"churn_reason": profile.churn_reason},
            )
        )
        changed.append({"pid": profile.id, "new_stage": stage})
    if changed:
        await session.execute(
            update(Profile.__table__)
            .where(Profile.__table__.c.id == bindparam("pid"))
            .values(stage=bindparam("new_stage"), updated_at=now)
            .execution_options(synchronize_session=False),
            changed,
        )
        await record_transitions(
            session, workspace_id=workspace_id, transitions=transitions, at=now
        )
    return transitions
