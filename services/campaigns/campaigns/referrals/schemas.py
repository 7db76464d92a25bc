from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yunying_shared.storable import Identifier, StorableText


class RewardTier(BaseModel):
    threshold: int = Field(ge=1, le=10_000, description="Accepted invitees needed")
    template_id: UUID = Field(description="Coupon template issued to the inviter")


class ProgramIn(BaseModel):
    inviter_rewards: list[RewardTier] = Field(default_factory=list, max_length=10)
    invitee_template_id: UUID | None = Field(
        default=None, description="Coupon for the invitee too ('both sides get a coupon')"
    )
    max_signups_per_device: int = Field(default=3, ge=1, le=1000)
    max_signups_per_phone: int = Field(default=1, ge=1, le=1000)
    max_signups_per_inviter_per_hour: int = Field(default=10, ge=1, le=100_000)
    claw_back_on_refund: bool = True
    active: bool = True

    @field_validator("inviter_rewards")
    @classmethod
    def _distinct_thresholds(cls, tiers: list[RewardTier]) -> list[RewardTier]:
        thresholds = [t.threshold for t in tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("each threshold may appear once")
        return sorted(tiers, key=lambda t: t.threshold)


class ProgramOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    campaign_id: UUID
    inviter_rewards: list[RewardTier]
    invitee_template_id: UUID | None
    max_signups_per_device: int
    max_signups_per_phone: int
    max_signups_per_inviter_per_hour: int
    claw_back_on_refund: bool
    active: bool
    updated_at: datetime


class InviteCodeIn(BaseModel):
    user_id: Identifier = Field(min_length=1, max_length=128)
    device_id: Identifier | None = Field(default=None, max_length=128)
    phone_hash: Identifier | None = Field(default=None, max_length=128)


class InviteCodeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    campaign_id: UUID
    user_id: str
    code: str
    shares: int
    created_at: datetime


class AttributionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    campaign_id: UUID
    invitee_user_id: str
    inviter_user_id: str
    invite_code: str
    level: int
    status: str = Field(description="accepted, refunded or fraud")
    signed_up_at: datetime
    revoked_reason: str | None


class RejectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    campaign_id: UUID | None
    invitee_user_id: str
    inviter_user_id: str | None
    invite_code: str | None
    event_id: str
    reason: str = Field(
        description="unknown_code, already_attributed, self_referral, device_reuse, "
        "phone_reuse, velocity, program_inactive"
    )
    detail: str
    signed_up_at: datetime


class RevokeIn(BaseModel):
    status: Literal["fraud", "refunded"] = "fraud"
    reason: StorableText = Field(min_length=1, max_length=200)


class TreeNode(BaseModel):
    user_id: str
    level: int
    status: str | None = Field(description="The node's own attribution; None for the root")
    invitees: list[TreeNode]


class ReferralStats(BaseModel):
    campaign_id: UUID
    participants: int = Field(description="Users holding an invite code")
    sharers: int = Field(description="Participants who shared at least once")
    share_rate: float = Field(description="sharers / participants")
    shares: int
    signups: int = Field(description="Accepted attributions still standing")
    revoked: int
    rejected: dict[str, int] = Field(description="Rejected sign-ups by reason")
    k_factor: float = Field(
        description="Accepted sign-ups per participant: (shares per participant) x "
        "(sign-ups per share)"
    )
    by_level: dict[int, int] = Field(description="Accepted sign-ups per tree level")
    rewards_issued: int
    rewards_clawed_back: int
