"""Keeping the mirrors current from segmentation's events, and asking them about a user."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import (
    Float,
    String,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience.models import (
    KnownSegment,
    SegmentMember,
    UserActivity,
    UserInterest,
    UserState,
    UserTraits,
)
from campaigns.audience.storage import STORAGE
from campaigns.campaigns.schemas import Target
from campaigns.clock import as_utc
from yunying_shared.db import sql_dialect
from yunying_shared.events.payloads.segmentation import UserProfileUpdated


class StateChange(NamedTuple):
    """One user's new stage or tier (None: unchanged), as a batch of events carries them.
    A tuple: built once per consumed event, where a frozen dataclass paid a call per field."""

    user_id: str
    at: datetime
    stage: str | None = None
    tier: str | None = None
    churn_reason: str | None = None


async def record_states(
    session: AsyncSession, *, workspace_id: UUID, changes: Sequence[StateChange]
) -> None:
    if not changes:
        return
    latest: dict[str, dict[str, Any]] = {}
    for change in changes:  # several changes of one user in a batch: merged, later wins
        row = latest.get(change.user_id)
        if row is None:
            latest[change.user_id] = {
                "user_id": change.user_id,
                "stage": change.stage,
                "tier": change.tier,
                "churn_reason": change.churn_reason,
                "updated_at": change.at,
            }
            continue
        if change.stage is not None:
            row["stage"] = change.stage
        if change.tier is not None:
            row["tier"] = change.tier
        if change.churn_reason is not None:
            row["churn_reason"] = change.churn_reason
        row["updated_at"] = change.at
    await STORAGE.of(session).upsert_states(session, workspace_id, list(latest.values()))


async def record_segment(
    session: AsyncSession, *, workspace_id: UUID, segment_id: str, name: str, at: datetime
) -> None:
    insert = sql_dialect(session).insert(KnownSegment.__table__)
    await session.execute(
        insert.values(
            workspace_id=workspace_id, segment_id=segment_id, name=name, updated_at=at
        ).on_conflict_do_update(
            index_elements=["workspace_id", "segment_id"],
            set_={"name": insert.excluded.name, "updated_at": insert.excluded.updated_at},
        )
    )


async def forget_segment(session: AsyncSession, *, workspace_id: UUID, segment_id: str) -> None:
    for model in (SegmentMember, KnownSegment):
        await session.execute(
            delete(model).where(model.workspace_id == workspace_id, model.segment_id == segment_id)
        )


async def record_memberships(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    pairs: Sequence[tuple[str, str]],
    member: bool,
) -> None:
    """A batch's (segment, user) entries or exits, one statement for all of them."""
    storage = STORAGE.of(session)
    if member:
        await storage.add_members(session, workspace_id, pairs)
    else:
        await storage.remove_members(session, workspace_id, pairs)


async def record_membership(
    session: AsyncSession, *, workspace_id: UUID, segment_id: str, user_id: str, member: bool
) -> None:
    await record_memberships(
        session, workspace_id=workspace_id, pairs=[(segment_id, user_id)], member=member
    )


class Activity(NamedTuple):
    event_id: str
    user_id: str
    kind: str
    occurred_at: datetime


async def record_activity(
    session: AsyncSession, *, workspace_id: UUID, activities: Sequence[Activity]
) -> None:
    """Accepted CRM events, for journeys' conditions ("did X within …"): one statement."""
    if not activities:
        return
    # One list per field, in Activity's order (which is the storage's ACTIVITY_FIELDS).
    await STORAGE.of(session).add_activity(
        session, workspace_id, list(zip(*activities, strict=True))
    )


async def did_since(
    session: AsyncSession, *, workspace_id: UUID, user_id: str, kind: str, since: datetime
) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    UserActivity.workspace_id == workspace_id,
                    UserActivity.user_id == user_id,
                    UserActivity.kind == kind,
                    UserActivity.occurred_at >= since,
                )
            )
        )
    )


async def targeted(
    session: AsyncSession, *, workspace_id: UUID, target: Target, user_ids: Sequence[str]
) -> set[str]:
    """Those of `user_ids` the target includes, from the mirrors (one query per call)."""
    users = set(user_ids)
    if target.kind == "all":
        return users
    if target.kind == "users":
        return users & set(target.values)
    if target.kind == "segment":
        query = select(SegmentMember.user_id).where(
            SegmentMember.workspace_id == workspace_id,
            SegmentMember.segment_id.in_(target.values),
            SegmentMember.user_id.in_(users),
        )
    else:
        column = UserState.stage if target.kind == "lifecycle_stage" else UserState.tier
        query = select(UserState.user_id).where(
            UserState.workspace_id == workspace_id,
            UserState.user_id.in_(users),
            column.in_(target.values),
        )
    return set(await session.scalars(query))


async def churn_reason_of(session: AsyncSession, *, workspace_id: UUID, user_id: str) -> str | None:
    return await session.scalar(
        select(UserState.churn_reason).where(
            UserState.workspace_id == workspace_id, UserState.user_id == user_id
        )
    )


async def record_traits(
    session: AsyncSession, *, workspace_id: UUID, profile: UserProfileUpdated
) -> None:
    await record_traits_many(session, workspace_id=workspace_id, profiles=[profile])


async def record_traits_many(
    session: AsyncSession, *, workspace_id: UUID, profiles: Sequence[UserProfileUpdated]
) -> None:
    """Keeps each user's latest attributes; an update older than the one stored (or than a
    later one in the batch) changes nothing. A batch is four statements, whatever its size."""
    latest: dict[str, UserProfileUpdated] = {}
    for profile in profiles:  # in order: an equal time replaces, as one by one it would
        kept = latest.get(profile.user_id)
        if kept is None or as_utc(profile.updated_at) >= as_utc(kept.updated_at):
            latest[profile.user_id] = profile
    if not latest:
        return
    sql = sql_dialect(session)
    users = sorted(latest)
    stored: dict[str, datetime] = dict(
        (
            await session.execute(
                select(UserTraits.user_id, UserTraits.updated_at)
                .where(
                    UserTraits.workspace_id == workspace_id,
                    sql.in_list(UserTraits.user_id, "users", String(), users),
                )
                .with_for_update()
            )
        ).all()
    )
    fresh = [
        p
        for user_id, p in latest.items()
        if user_id not in stored or as_utc(stored[user_id]) <= as_utc(p.updated_at)
    ]
    if not fresh:
        return
    insert_traits = sql.insert(UserTraits.__table__)
    excluded = insert_traits.excluded
    await session.execute(
        insert_traits.on_conflict_do_update(
            index_elements=["workspace_id", "user_id"],
            set_={
                "gender": excluded.gender,
                "age_band": excluded.age_band,
                "region": excluded.region,
                "updated_at": excluded.updated_at,
            },
        ),
        [
            {
                "workspace_id": workspace_id,
                "user_id": p.user_id,
                "gender": p.gender,
                "age_band": p.age_band,
                "region": p.region,
                "updated_at": p.updated_at,
            }
            for p in fresh
        ],
    )
    await session.execute(
        delete(UserInterest).where(
            UserInterest.workspace_id == workspace_id,
            sql.in_list(UserInterest.user_id, "users", String(), [p.user_id for p in fresh]),
        )
    )
    rows = []
    for p in fresh:
        interests = list(dict.fromkeys(i[:32] for i in p.interests if i))
        rows += [
            {
                "workspace_id": workspace_id,
                "user_id": p.user_id,
                "interest": interest,
                "weight": 1.0 / len(interests),
            }
            for interest in interests
        ]
    if rows:
        await session.execute(insert(UserInterest), rows)


@dataclass(frozen=True)
class AudienceCounts:
    """A segment's (or stage's) members, those with known attributes, and per dimension the
    members per value (interests: summed weights)."""

    members: int
    with_attributes: int
    counts: dict[str, dict[str, float]]


async def audience_counts(
    session: AsyncSession, *, workspace_id: UUID, segment_id: str | None, stage: str | None
) -> AudienceCounts:
    """Counted in the database in one statement: the members are read once (a CTE), grouped
    with their traits by all three attributes together (a few dozen combinations, summed per
    attribute here) and with their interests, plus their number; one round trip."""
    if segment_id is not None:
        members = select(SegmentMember.user_id.label("user_id")).where(
            SegmentMember.workspace_id == workspace_id, SegmentMember.segment_id == segment_id
        )
    else:
        members = select(UserState.user_id.label("user_id")).where(
            UserState.workspace_id == workspace_id, UserState.stage == stage
        )
    chosen = members.cte("members")
    traits = (
        select(
            literal("traits").label("part"),
            UserTraits.gender,
            UserTraits.age_band,
            UserTraits.region,
            cast(func.count(), Float).label("amount"),
        )
        .join(chosen, chosen.c.user_id == UserTraits.user_id)
        .where(UserTraits.workspace_id == workspace_id)
        .group_by(UserTraits.gender, UserTraits.age_band, UserTraits.region)
    )
    interests = (
        select(
            literal("interests"),
            UserInterest.interest,
            null(),
            null(),
            cast(func.sum(UserInterest.weight), Float),
        )
        .join(chosen, chosen.c.user_id == UserInterest.user_id)
        .where(UserInterest.workspace_id == workspace_id)
        .group_by(UserInterest.interest)
    )
    total = select(
        literal("members"), null(), null(), null(), cast(func.count(), Float)
    ).select_from(chosen)
    counts: dict[str, dict[str, float]] = {
        "gender": {},
        "age_band": {},
        "region": {},
        "interests": {},
    }
    members_count = known = 0
    for part, first, age_band, region, amount in await session.execute(
        union_all(traits, interests, total)
    ):
        if part == "members":
            members_count = int(amount or 0)
        elif part == "interests":
            counts["interests"][str(first)] = float(amount)
        else:
            known += int(amount)
            for name, value in (("gender", first), ("age_band", age_band), ("region", region)):
                if value is not None:
                    counts[name][value] = counts[name].get(value, 0.0) + amount
    return AudienceCounts(members=members_count, with_attributes=known, counts=counts)
