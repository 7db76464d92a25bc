"""Re-scoring a workspace (RFM, class, segment, tier, stage) and explaining one user's scores."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
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
from segmentation.segments.parts import part_of
from segmentation.segments.rescored import Followers, refresh_after_rescore, rescore_followers
from segmentation.settings.service import get_settings
from yunying_shared.db import Database, PerDialect

# A re-score changing at least this many profiles writes in parts when given a Database.
PARTS_FROM = 10_000
# Parts written at once: one backend per core on PostgreSQL; SQLite has one writer.
PARTS: PerDialect[int] = PerDialect(postgresql=2, sqlite=1)


@dataclass
class _Plan:
    """What a re-score read and computed; the writes are made from it (in one or more parts)."""

    workspace_id: UUID
    now: datetime
    rules: LifecycleRules
    first_tiers: bool
    snapshot: Snapshot
    scored: Scored
    index: np.ndarray  # positions of the changed profiles
    reported: np.ndarray  # those whose moves are reported
    wanted: np.ndarray  # aligned with index: user ids needed (segments follow, or a move)
    follow: np.ndarray  # aligned with index: a field a following segment reads moved
    followers: Followers


async def rescore(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    now: datetime | None = None,
    quiet: np.ndarray | None = None,
    parts_on: Database | None = None,
) -> RescoreResult:
    """`quiet`: profile ids whose moves this re-score does not report (an import's users: their
    stage history is derived by event time next, and their first tier is no news).

    `parts_on`: from PARTS_FROM changed profiles (PostgreSQL), the writes are made in PARTS parts at
    once, the users split by a hash of the profile id (segments/parts.py), each part on its own
    connection of this database and in its own transaction, committed as soon as it is done;
    `session` keeps the reads and the settings (committed by the caller, after the parts). Every
    write about one user (scores, transitions and their events, memberships and their events) is in
    that user's part, so each user's events keep their order. A re-score that fails part-way leaves
    the parts that committed, and a re-run finishes the others: it finds the committed users' stored
    scores equal to what it computes (nothing to write or publish for them) and the others' changed,
    as the first run did. No part waits for another before committing, so no lock wait crosses
    between the parts' transactions outside PostgreSQL's deadlock detection.
    """
    now = now or utcnow()
    plan = await _plan(session, workspace_id, now, quiet)
    parts = PARTS.of(session) if parts_on is not None else 1
    if parts == 1 or len(plan.index) < PARTS_FROM:
        transitions = await _write(session, plan, np.ones(len(plan.index), dtype=bool))
    else:
        assert parts_on is not None
        transitions = await _write_in_parts(parts_on, plan, parts)
    settings = await get_settings(session, workspace_id=workspace_id)
    settings.last_edges = plan.scored.edges
    settings.last_scored_at = now
    await session.flush()
    stage_changes = sum(t.kind == "stage" for t in transitions)
    return RescoreResult(
        profiles=len(plan.snapshot),
        changed=len(plan.index),
        stage_changes=stage_changes,
        tier_changes=len(transitions) - stage_changes,
        edges=plan.scored.edges,
        scored_at=now,
    )


async def _plan(
    session: AsyncSession, workspace_id: UUID, now: datetime, quiet: np.ndarray | None
) -> _Plan:
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
    return _Plan(
        workspace_id,
        now,
        rules,
        first_tiers,
        snapshot,
        scored,
        index,
        reported,
        wanted,
        follow,
        followers,
    )


async def _write_in_parts(database: Database, plan: _Plan, parts: int) -> list[Transition]:
    part = part_of(plan.snapshot.ids[plan.index], parts)

    async def write_part(k: int) -> list[Transition]:
        async with database.session() as session, session.begin():
            return await _write(session, plan, part == k, part=(k, parts))

    done = await asyncio.gather(*(write_part(k) for k in range(parts)), return_exceptions=True)
    for outcome in done:
        if isinstance(outcome, BaseException):
            raise outcome  # the parts that committed stay: a re-run finishes the others
    return [t for outcome in done if not isinstance(outcome, BaseException) for t in outcome]


async def _write(
    session: AsyncSession, plan: _Plan, mine: np.ndarray, part: tuple[int, int] = (0, 1)
) -> list[Transition]:
    """The writes for the changed profiles `mine` selects (aligned with `plan.index`): scores,
    transitions and their events, then the memberships of the segments that follow them."""
    snapshot, scored, now = plan.snapshot, plan.scored, plan.now
    index = plan.index[mine]
    names = await write_changes(
        session, ids=snapshot.ids, scored=scored, index=index, wanted=plan.wanted[mine], now=now
    )
    for pid, (user_id, churn_reason) in names.items():
        snapshot.user_ids[pid] = user_id
        snapshot.churn_reasons[pid] = churn_reason
    reported = plan.reported[np.isin(plan.reported, index)]
    transitions = _transitions(snapshot, scored, reported, plan.rules, plan.first_tiers)
    await record_transitions(
        session, workspace_id=plan.workspace_id, transitions=transitions, at=now
    )
    if plan.followers.segments:
        await refresh_after_rescore(
            session,
            workspace_id=plan.workspace_id,
            followers=plan.followers,
            user_ids=[
                snapshot.user_ids[pid]
                for pid in snapshot.ids[plan.index[plan.follow & mine]].tolist()
            ],
            now=now,
            part=part,
        )
    return transitions


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
