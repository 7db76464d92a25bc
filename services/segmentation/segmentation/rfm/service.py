"""Re-scoring a workspace (RFM, class, segment, tier, stage) and explaining one user's scores."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from uuid import UUID

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

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
from segmentation.segments.rescored import refresh_after_rescore, rescore_followers
from segmentation.settings.service import get_settings


async def rescore(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    now: datetime | None = None,
    quiet: np.ndarray | None = None,
) -> RescoreResult:
    """`quiet`: profile ids whose moves this re-score does not report (an import's users: their
    stage history is derived by event time next, and their first tier is no news)."""
    now = now or utcnow()
    settings = await get_settings(session, workspace_id=workspace_id)
    # A first tier is news once the workspace has had its first full scoring, not during it.
    first_tiers = settings.last_scored_at is not None
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
    # Live segments follow only where a field they read moved (segments/rescored.py); user ids
    # are shipped back for those users and for transitions, so a first scoring of a workspace
    # whose segments read no score ships no names at all.
    followers = await rescore_followers(session, workspace_id)
    follow = _moved_fields(snapshot, scored, index, followers.fields)
    reported = index if quiet is None else index[~np.isin(snapshot.ids[index], quiet)]
    wanted = follow | np.isin(index, reported[_moved(snapshot, scored, reported, first_tiers)])
    names = await write_changes(
        session, ids=snapshot.ids, scored=scored, index=index, wanted=wanted, now=now
    )
    for pid, (user_id, churn_reason) in names.items():
        snapshot.user_ids[pid] = user_id
        snapshot.churn_reasons[pid] = churn_reason
    transitions = _transitions(snapshot, scored, reported, rules, first_tiers)
    await record_transitions(session, workspace_id=workspace_id, transitions=transitions, at=now)
    if followers.segments:
        await refresh_after_rescore(
            session,
            workspace_id=workspace_id,
            followers=followers,
            user_ids=[snapshot.user_ids[pid] for pid in snapshot.ids[index[follow]].tolist()],
            now=now,
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


# A profile field a segment rule can name -> the snapshot/scored array holding it.
_ARRAYS = {
    "r_score": "r",
    "f_score": "f",
    "m_score": "m",
    "rfm_class": "rfm_class",
    "rfm_segment": "segment",
    "tier": "tier",
    "stage": "stage",
}


def _moved_fields(
    before: Snapshot, after: Scored, index: np.ndarray, fields: frozenset[str]
) -> np.ndarray:
    """Aligned with `index`: the rows where at least one of these fields changed."""
    moved = np.zeros(len(index), dtype=bool)
    for field in fields:
        name = _ARRAYS[field]
        moved |= getattr(after, name)[index] != getattr(before, name)[index]
    return moved


def _tier_moved(before: Snapshot, after: Scored, index: np.ndarray, first: bool) -> np.ndarray:
    """Aligned with `index`: a tier move between two tiers, or (`first`) a first tier."""
    old, new = before.tier[index], after.tier[index]
    moved: np.ndarray = (new != old) & ((old >= 0) | ((new >= 0) & first))
    return moved


def _moved(before: Snapshot, after: Scored, index: np.ndarray, first_tiers: bool) -> np.ndarray:
    """Aligned with `index`: the rows `_transitions` reports (a stage move, or a tier move)."""
    moved: np.ndarray = (after.stage[index] != before.stage[index]) | _tier_moved(
        before, after, index, first_tiers
    )
    return moved


def _transitions(
    before: Snapshot, after: Scored, index: np.ndarray, rules: LifecycleRules, first_tiers: bool
) -> list[Transition]:
    """Stage moves, and tier moves: between two tiers, and a first tier once the workspace has
    been fully scored before (during the first full scoring every tier is an assignment)."""
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
    tier_moved = index[_tier_moved(before, after, index, first_tiers)]
    for i in tier_moved.tolist():
        old_tier, new_tier = int(before.tier[i]), int(after.tier[i])
        scored = new_tier >= 0
        transitions.append(
            Transition(
                user_id=before.user_ids[int(before.ids[i])],
                kind="tier",
                from_value=TIERS[old_tier] if old_tier >= 0 else None,
                to_value=TIERS[new_tier] if scored else None,
                reason="re-score" if old_tier >= 0 else "first tier",
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
