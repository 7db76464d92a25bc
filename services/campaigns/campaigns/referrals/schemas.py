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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "inviter_rewards": [
                        {"threshold": 1, "template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"},
                        {"threshold": 5, "template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"},
                    ],
                    "invitee_template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                    "max_signups_per_device": 1,
                    "max_signups_per_phone": 1,
                    "max_signups_per_inviter_per_hour": 10,
                    "claw_back_on_refund": True,
                    "active": True,
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "inviter_rewards": [
                        {"threshold": 1, "template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"},
                        {"threshold": 5, "template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"},
                    ],
                    "invitee_template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                    "max_signups_per_device": 1,
                    "max_signups_per_phone": 1,
                    "max_signups_per_inviter_per_hour": 10,
                    "claw_back_on_refund": True,
                    "active": True,
                    "updated_at": "2026-10-25T15:00:00+08:00",
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "wx_o6a8s1Kq",
                    "device_id": "idfa-6F1C2D9E",
                    "phone_hash": "sha256:9f86d081884c7d65",
                }
            ]
        }
    )

    user_id: Identifier = Field(min_length=1, max_length=128)
    device_id: Identifier | None = Field(default=None, max_length=128)
    phone_hash: Identifier | None = Field(default=None, max_length=128)


class InviteCodeOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "user_id": "wx_o6a8s1Kq",
                    "code": "INV-8K2Q7M",
                    "shares": 14,
                    "created_at": "2026-11-01T12:00:00+08:00",
                }
            ]
        },
    )

    campaign_id: UUID
    user_id: str
    code: str
    shares: int
    created_at: datetime


class AttributionOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "invitee_user_id": "wx_o9Zk3Tt",
                    "inviter_user_id": "wx_o6a8s1Kq",
                    "invite_code": "INV-8K2Q7M",
                    "level": 1,
                    "status": "confirmed",
                    "signed_up_at": "2026-11-05T21:14:09+08:00",
                    "revoked_reason": None,
                }
            ]
        },
    )

    campaign_id: UUID
    invitee_user_id: str
    inviter_user_id: str
    invite_code: str
    level: int
    status: str = Field(description="accepted, refunded or fraud")
    signed_up_at: datetime
    revoked_reason: str | None


class RejectionOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "invitee_user_id": "wx_oQ1w2E3r",
                    "inviter_user_id": "wx_o6a8s1Kq",
                    "invite_code": "INV-8K2Q7M",
                    "event_id": "crm-evt-99812",
                    "reason": "device_limit",
                    "detail": "该设备已注册过 1 个被邀请账号",
                    "signed_up_at": "2026-11-05T21:20:44+08:00",
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "fraud", "reason": "同一设备批量注册，判定为刷单"}]
        }
    )

    status: Literal["fraud", "refunded"] = "fraud"
    reason: StorableText = Field(min_length=1, max_length=200)


class TreeNode(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "wx_o6a8s1Kq",
                    "level": 0,
                    "status": "confirmed",
                    "invitees": [
                        {"user_id": "wx_o9Zk3Tt", "level": 1, "status": "confirmed", "invitees": []}
                    ],
                }
            ]
        }
    )

    user_id: str
    level: int
    status: str | None = Field(description="The node's own attribution; None for the root")
    invitees: list[TreeNode]


class ReferralStats(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "participants": 5210,
                    "sharers": 1380,
                    "share_rate": 0.265,
                    "shares": 4122,
                    "signups": 2044,
                    "revoked": 37,
                    "rejected": {"device_limit": 52, "phone_limit": 9},
                    "k_factor": 0.39,
                    "by_level": {"1": 1702, "2": 342},
                    "rewards_issued": 1911,
                    "rewards_clawed_back": 21,
                }
            ]
        }
    )

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
