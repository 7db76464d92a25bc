"""The invite tree below a user, and a referral campaign's share rate and k-factor."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.referrals.models import (
    InviteCode,
    ReferralAttribution,
    ReferralReward,
    RejectedAttribution,
)
from campaigns.referrals.schemas import ReferralStats, TreeNode

MAX_DEPTH = 10
MAX_NODES = 5000


async def invite_tree(
    session: AsyncSession, *, workspace_id: UUID, user_id: str, depth: int
) -> TreeNode:
    """Breadth-first, one query per level, down to `depth` levels (at most MAX_NODES users:
    a campaign's whole tree can be large; the console pages by asking from a lower node)."""
    own = await session.scalar(
        select(ReferralAttribution).where(
            ReferralAttribution.workspace_id == workspace_id,
            ReferralAttribution.invitee_user_id == user_id,
        )
    )
    root = TreeNode(
        user_id=user_id,
        level=own.level if own else 0,
        status=own.status if own else None,
        invitees=[],
    )
    frontier = {user_id: root}
    seen = 1
    for _ in range(min(depth, MAX_DEPTH)):
        if not frontier or seen >= MAX_NODES:
            break
        children = await session.scalars(
            select(ReferralAttribution)
            .where(
                ReferralAttribution.workspace_id == workspace_id,
                ReferralAttribution.inviter_user_id.in_(list(frontier)),
            )
            .order_by(ReferralAttribution.signed_up_at)
            .limit(MAX_NODES - seen)
        )
        next_frontier: dict[str, TreeNode] = {}
        for child in children:
            node = TreeNode(
                user_id=child.invitee_user_id, level=child.level, status=child.status, invitees=[]
            )
            frontier[child.inviter_user_id].invitees.append(node)
            next_frontier[child.invitee_user_id] = node
            seen += 1
        frontier = next_frontier
    return root


async def referral_stats(
    session: AsyncSession, *, workspace_id: UUID, campaign_id: UUID
) -> ReferralStats:
    codes = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(InviteCode.shares > 0),
                func.coalesce(func.sum(InviteCode.shares), 0),
            ).where(InviteCode.workspace_id == workspace_id, InviteCode.campaign_id == campaign_id)
        )
    ).one()
    participants, sharers, shares = int(codes[0]), int(codes[1]), int(codes[2])
    by_status_level = await session.execute(
        select(ReferralAttribution.status, ReferralAttribution.level, func.count())
        .where(
            ReferralAttribution.workspace_id == workspace_id,
            ReferralAttribution.campaign_id == campaign_id,
        )
        .group_by(ReferralAttribution.status, ReferralAttribution.level)
    )
    by_level: dict[int, int] = {}
    signups = revoked = 0
    for status, level, count in by_status_level:
        if status == "accepted":
            signups += int(count)
            by_level[int(level)] = by_level.get(int(level), 0) + int(count)
        else:
            revoked += int(count)
    rejected = await session.execute(
        select(RejectedAttribution.reason, func.count())
        .where(
            RejectedAttribution.workspace_id == workspace_id,
            RejectedAttribution.campaign_id == campaign_id,
        )
        .group_by(RejectedAttribution.reason)
    )
    rewards = await session.execute(
        select(ReferralReward.status, func.count())
        .where(
            ReferralReward.workspace_id == workspace_id,
            ReferralReward.campaign_id == campaign_id,
        )
        .group_by(ReferralReward.status)
    )
    reward_counts = {status: int(n) for status, n in rewards}
    return ReferralStats(
        campaign_id=campaign_id,
        participants=participants,
        sharers=sharers,
        share_rate=sharers / participants if participants else 0.0,
        shares=shares,
        signups=signups,
        revoked=revoked,
        rejected={reason: int(n) for reason, n in rejected},
        k_factor=signups / participants if participants else 0.0,
        by_level=dict(sorted(by_level.items())),
        rewards_issued=reward_counts.get("issued", 0) + reward_counts.get("clawed_back", 0),
        rewards_clawed_back=reward_counts.get("clawed_back", 0),
    )
