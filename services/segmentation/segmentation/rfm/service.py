"""Re-scoring a workspace (RFM, class, segment, tier, stage) and explaining one user's scores."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from uuid import UUID

import numpy as np
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.afterwrite import Touched, after_write
from segmentation.clock import as_utc, utcnow
from segmentation.lifecycle.rules import STAGES, LifecycleRules
from segmentation.lifecycle.service import Transition, record_transitions
from segmentation.records.models import Profile
from segmentation.records.vocabulary import CLASSES, TIERS
from segmentation.rfm.compute import Scored, compute
from segmentation.rfm.schemas import Dimension, RescoreResult, RfmExplanation
from segmentation.rfm.snapshot import (
    Snapshot,
    apply_window,
    load_snapshot,
    window_totals_since,
    windowed_totals,
)
from segmentation.rfm.store import write_changes
from segmentation.segments.models import Segment
from segmentation.settings.service import get_settings


async def rescore(
    session: AsyncSession, *, workspace_id: UUID, now: datetime | None = None
) -> RescoreResult:
    now = now or utcnow()
    settings = await get_settings(session, workspace_id=workspace_id)
    rules = LifecycleRules.model_validate(settings.lifecycle_rules)
    snapshot = await load_snapshot(session, workspace_id=workspace_id)
    if settings.rfm_window_days:
        apply_window(
            snapshot,
            await windowed_totals(
                session,
                workspace_id=workspace_id,
                since=window_totals_since(now, settings.rfm_window_days),
            ),
        )
    scored = compute(snapshot, now=now.timestamp(), custom_edges=settings.custom_edges, rules=rules)
    index = np.flatnonzero(scored.changed(snapshot))
    # User ids are needed for transitions, and for every changed user only when live segments
    # may have to follow: a million-row first scoring then ships no names at all.
    live = await _has_live_segments(session, workspace_id)
    wanted = np.ones(len(index), dtype=bool) if live else _moved(snapshot, scored, index)
    names = await write_changes(
        session, ids=snapshot.ids, scored=scored, index=index, wanted=wanted, now=now
    )
    for pid, (user_id, churn_reason) in names.items():
        snapshot.user_ids[pid] = user_id
        snapshot.churn_reasons[pid] = churn_reason
    transitions = _transitions(snapshot, scored, index, rules)
    await record_transitions(session, workspace_id=workspace_id, transitions=transitions, at=now)
    if live:
        # Stages were re-evaluated with the scores; memberships follow the changed users.
        changed = [snapshot.user_ids[pid] for pid in snapshot.ids[index].tolist()]
        await after_write(
            session, workspace_id=workspace_id, touched=Touched(users=changed), now=now
        )
    settings.last_edges = scored.edges
    settings.last_scored_at = now
    await session.flush()
    stage_changes = sum(t.kind == "stage" for t in transitions)
    return RescoreResult(
        profiles=len(snapshot),
        changed=len(index),
        stage_changes=stage_changes,
        tier_changes=len(transitions) - stage_changes,
        edges=scored.edges,
        scored_at=now,
    )


async def _has_live_segments(session: AsyncSession, workspace_id: UUID) -> bool:
    return bool(
        await session.scalar(
            select(exists().where(Segment.workspace_id == workspace_id, Segment.live.is_(True)))
        )
    )


def _moved(before: Snapshot, after: Scored, index: np.ndarray) -> np.ndarray:
    """Aligned with `index`: the rows `_transitions` reports (a stage move, or a tier move from
    a previous tier)."""
    moved: np.ndarray = (after.stage[index] != before.stage[index]) | (
        (after.tier[index] != before.tier[index]) & (before.tier[index] >= 0)
    )
    return moved


def _transitions(
    before: Snapshot, after: Scored, index: np.ndarray, rules: LifecycleRules
) -> list[Transition]:
    """Stage moves, and tier moves between two tiers (a first tier is an assignment, not news)."""
    transitions: list[Transition] = []
    reason = cache(rules.reason)  # 30 (stage, previous) pairs at most; formatting each is slow
    stage_moved = index[after.stage[index] != before.stage[index]]
    for i in stage_moved.tolist():
        old, new = int(before.stage[i]), int(after.stage[i])
        pid = int(before.ids[i])
        transitions.append(
            Transition(
                user_id=before.user_ids[pid],
                kind="stage",
                from_value=STAGES[old] if old >= 0 else None,
                to_value=STAGES[new],
                reason=reason(new, old if old >= 0 else None),
                detail={"churn_reason": before.churn_reasons[pid]},
            )
        )
    tier_moved = index[(after.tier[index] != before.tier[index]) & (before.tier[index] >= 0)]
    for i in tier_moved.tolist():
        new_tier = int(after.tier[i])
        scored = new_tier >= 0
        transitions.append(
            Transition(
                user_id=before.user_ids[int(before.ids[i])],
                kind="tier",
                from_value=TIERS[before.tier[i]],
                to_value=TIERS[new_tier] if scored else None,
                reason="re-score",
                detail={
                    "r_score": int(after.r[i]) or None,
                    "f_score": int(after.f[i]) or None,
                    "m_score": int(after.m[i]) or None,
                    "rfm_class": CLASSES[after.rfm_class[i]] if scored else None,
                },
            )
        )
    return transitions


def _rule(name: str) -> str:
    if name == "recency":
        return "score = 1 + number of edges >= the value (fewer days, higher score)"
    return "score = 1 + number of edges < the value (equal values share a score)"


async def explain(session: AsyncSession, *, workspace_id: UUID, profile: Profile) -> RfmExplanation:
    settings = await get_settings(session, workspace_id=workspace_id)
    scored_at = as_utc(settings.last_scored_at)
    last_purchase = as_utc(profile.last_purchase_at)
    frequency: float = profile.order_count
    monetary: float = float(profile.monetary_total or Decimal(0))
    if settings.rfm_window_days and scored_at:
        totals = await windowed_totals(
            session,
            workspace_id=workspace_id,
            user_ids=[profile.user_id],
            since=window_totals_since(scored_at, settings.rfm_window_days),
        )
        frequency, monetary = totals.get(profile.id, (0.0, 0.0))
    recency = (
        (scored_at - last_purchase).total_seconds() / 86_400
        if scored_at and last_purchase
        else None
    )
    edges = settings.last_edges or {}
    purchased = last_purchase is not None

    def dimension(name: str, raw: float | None, score: int | None) -> Dimension:
        return Dimension(
            raw=raw if purchased else None, score=score, edges=edges.get(name, []), rule=_rule(name)
        )

    return RfmExplanation(
        user_id=profile.user_id,
        scored_at=scored_at,
        window_days=settings.rfm_window_days,
        recency=dimension("recency", recency, profile.r_score),
        frequency=dimension("frequency", frequency, profile.f_score),
        monetary=dimension("monetary", monetary, profile.m_score),
        rfm_class=profile.rfm_class,
        rfm_segment=profile.rfm_segment,
        tier=profile.tier,
        note="" if scored_at else "The workspace has not been scored yet.",
    )
