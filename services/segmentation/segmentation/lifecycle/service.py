"""Stage and tier transitions: stored and published (outbox) in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple
from uuid import UUID

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import epochs
from segmentation.db import BUS
from segmentation.lifecycle.models import StageChange
from segmentation.lifecycle.rules import STAGES, LifecycleRules, evaluate_stages
from segmentation.lifecycle.stage_events import json_time, stage_payload
from segmentation.records.models import Profile
from yunying_shared.bus import publish_encoded
from yunying_shared.db import cast_table, driver_connection, sql_dialect
from yunying_shared.db.packed import packed, packed_numbers, unpack
from yunying_shared.events.bulk import BulkEncoder, Encoded
from yunying_shared.events.catalogue import USER_LIFECYCLE_STAGE_CHANGED, USER_TIER_CHANGED

SOURCE = "/yunying/segmentation"
# A re-score can move 100,000 users at once: from this many on PostgreSQL the history rows go
# in by binary COPY (a few times faster than multi-row INSERTs; not worth it for small batches).
COPY_FROM = 1000
_STAGE_EVENTS = BulkEncoder(USER_LIFECYCLE_STAGE_CHANGED, source=SOURCE)
_TIER_EVENTS = BulkEncoder(USER_TIER_CHANGED, source=SOURCE)
PROFILES = cast_table(Profile.__table__)
STAGE_CHANGES = StageChange.__table__
_STAGE_CHANGE_COLUMNS = (
    "workspace_id",
    "user_id",
    "kind",
    "from_value",
    "to_value",
    "reason",
    "changed_at",
)


class ProfileState(NamedTuple):
    """A profile as re-staging reads it (the Profile column names)."""

    id: int
    user_id: str
    stage: str
    first_purchase_at: datetime | None
    last_purchase_at: datetime | None
    last_active_at: datetime | None
    f_score: int | None
    m_score: int | None
    churn_reason: str | None


@dataclass(frozen=True)
class Transition:
    user_id: str
    kind: Literal["stage", "tier"]
    from_value: str | None
    to_value: str | None
    reason: str
    detail: dict[str, Any] | None = None  # tier: scores and class; stage: churn reason
    # when it happened, if not at the write's time (a history derived by event time)
    at: datetime | None = None
    # derived from the past, older than the workspace's `history_after_hours`
    historical: bool = False


def _encoded(workspace_id: UUID, transitions: Sequence[Transition], at: datetime) -> list[Encoded]:
    """The transitions' events, encoded from the catalogue's specs, in the transitions' order.
    Stage payloads are written from a template (lifecycle.stage_events: an import publishes
    hundreds of thousands, each with its own time); tier payloads go through the encoder."""
    stages: list[tuple[int, tuple[str, str]]] = []
    tiers: list[tuple[int, dict[str, Any]]] = []
    times: dict[datetime, str] = {}  # each distinct time written once
    for i, t in enumerate(transitions):
        detail = t.detail or {}
        if t.kind == "stage":
            changed_at = t.at or at
            written = times.get(changed_at)
            if written is None:
                written = times[changed_at] = json_time(changed_at)
            payload = stage_payload(
                t.user_id,
                t.from_value,
                t.to_value or "",
                t.reason,
                written,
                detail.get("churn_reason"),
                t.historical,
            )
            stages.append((i, (t.user_id, payload)))
        else:
            tiers.append(
                (
                    i,
                    {
                        "user_id": t.user_id,
                        "from_tier": t.from_value,
                        "to_tier": t.to_value,
                        "r_score": detail.get("r_score"),
                        "f_score": detail.get("f_score"),
                        "m_score": detail.get("m_score"),
                        "rfm_class": detail.get("rfm_class"),
                        "changed_at": at,
                    },
                )
            )
    encoded: list[Encoded | None] = [None] * len(transitions)
    stage_events = _STAGE_EVENTS.encode_json([p for _, p in stages], workspace=workspace_id)
    tier_events = _TIER_EVENTS.encode([row for _, row in tiers], workspace=workspace_id)
    for rows, events in ((stages, stage_events), (tiers, tier_events)):
        for (i, _), event in zip(rows, events, strict=True):
            encoded[i] = event
    return [event for event in encoded if event is not None]


async def record_transitions(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    transitions: Sequence[Transition],
    at: datetime,
    publish: Sequence[Transition] | None = None,
) -> None:
    """Store the transitions in the history and publish them (or only `publish`: a history
    derived again publishes just the moves it did not have before)."""
    if not transitions:
        return
    await sql_dialect(session).insert_rows(
        session,
        STAGE_CHANGES,
        _STAGE_CHANGE_COLUMNS,
        [
            (workspace_id, t.user_id, t.kind, t.from_value, t.to_value, t.reason, t.at or at)
            for t in transitions
        ],
        copy_from=COPY_FROM,
    )
    announced = transitions if publish is None else publish
    if announced:
        await publish_encoded(session, BUS, _encoded(workspace_id, announced, at))


_PG_STORE_STAGES = f"""
    UPDATE profiles AS p SET stage = s.stage, updated_at = $1
    FROM unnest({unpack("$2", "bigint")}, {unpack("$3", "text")}) AS s(id, stage)
    WHERE p.id = s.id
"""


async def _store_stages(
    session: AsyncSession, changed: list[tuple[int, str]], now: datetime
) -> None:
    """The new stages by profile id: on PostgreSQL one statement of packed columns (SQLAlchemy's
    executemany built a parameter set per row, more client CPU than the update itself)."""
    if sql_dialect(session).name == "postgresql":
        await (await driver_connection(session)).execute(
            _PG_STORE_STAGES,
            now,
            packed_numbers([profile_id for profile_id, _ in changed]),
            packed([stage for _, stage in changed]),
        )
        return
    await session.execute(
        update(PROFILES)
        .where(PROFILES.c.id == bindparam("pid"))
        .values(stage=bindparam("new_stage"), updated_at=now)
        .execution_options(synchronize_session=False),
        [{"pid": profile_id, "new_stage": stage} for profile_id, stage in changed],
    )


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
    profiles: Sequence[ProfileState],
    now: datetime,
    quiet: frozenset[str] = frozenset(),
) -> list[Transition]:
    """Re-evaluate the stage of a few profiles (rows with the Profile column names) as of now;
    store, record and publish the ones that changed. Users in `quiet` get their stage stored
    but no transition recorded (their history is derived by event time instead)."""
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
    changed: list[tuple[int, str]] = []  # profile id, new stage
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
        changed.append((profile.id, stage))
    if changed:
        await _store_stages(session, changed, now)
        await record_transitions(
            session,
            workspace_id=workspace_id,
            transitions=[t for t in transitions if t.user_id not in quiet],
            at=now,
        )
    return transitions
