"""Referral programs, invite codes, attributed and rejected sign-ups, and rewards issued."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import ROW_ID, USER_ID_LENGTH, Base

CODE_LENGTH = 16
HASH_LENGTH = 128


class ReferralProgram(Base):
    """A referral campaign's rules: inviter reward tiers, the invitee's coupon, fraud limits."""

    __tablename__ = "referral_programs"
    __table_args__ = (UniqueConstraint("workspace_id", "campaign_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID]
    # [{"threshold": 3, "template_id": "..."}]: the inviter earns each tier once.
    inviter_rewards: Mapped[list[Any]]
    # "Both sides get a coupon": the invitee's coupon on an accepted sign-up.
    invitee_template_id: Mapped[UUID | None]
    max_signups_per_device: Mapped[int]
    max_signups_per_phone: Mapped[int]
    max_signups_per_inviter_per_hour: Mapped[int]
    claw_back_on_refund: Mapped[bool]
    active: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InviteCode(Base):
    __tablename__ = "invite_codes"
    __table_args__ = (
        UniqueConstraint("workspace_id", "campaign_id", "user_id"),
        UniqueConstraint("code"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    # The inviter's own device and phone, when known: a sign-up from them is a self-referral.
    device_id: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    phone_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    shares: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class ReferralAttribution(Base):
    """An accepted sign-up: one per invitee and workspace (a user signs up once)."""

    __tablename__ = "referral_attributions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "invitee_user_id"),
        Index("ix_referral_attributions_inviter", "workspace_id", "inviter_user_id", "campaign_id"),
        Index("ix_referral_attributions_campaign", "workspace_id", "campaign_id"),
        Index("ix_referral_attributions_device", "workspace_id", "device_id"),
        Index("ix_referral_attributions_phone", "workspace_id", "phone_hash"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID]
    invitee_user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    inviter_user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    invite_code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    event_id: Mapped[str] = mapped_column(String(128))
    # 1 for a direct invitee of a user who was not referred, 2 for their invitees, ...
    level: Mapped[int]
    device_id: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    phone_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    # accepted, refunded, fraud: only accepted ones count toward rewards
    status: Mapped[str] = mapped_column(String(16))
    signed_up_at: Mapped[datetime]
    attributed_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(200))


class RejectedAttribution(Base):
    """A sign-up that was not attributed, and why (unknown code, self-referral, fraud)."""

    __tablename__ = "referral_rejections"
    __table_args__ = (Index("ix_referral_rejections_campaign", "workspace_id", "campaign_id"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID | None]
    invitee_user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    inviter_user_id: Mapped[str | None] = mapped_column(String(USER_ID_LENGTH))
    invite_code: Mapped[str | None] = mapped_column(String(128))
    event_id: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500))
    signed_up_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class ReferralReward(Base):
    """A coupon issued for a referral, kept to claw it back if the sign-up turns out bad."""

    __tablename__ = "referral_rewards"
    __table_args__ = (UniqueConstraint("workspace_id", "campaign_id", "user_id", "reason"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    # referral:welcome (invitee), referral:invited_<threshold> (inviter)
    reason: Mapped[str] = mapped_column(String(64))
    threshold: Mapped[int | None]
    coupon_id: Mapped[UUID]
    # for the invitee's coupon: whose sign-up earned it
    invitee_user_id: Mapped[str | None] = mapped_column(String(USER_ID_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime]
    clawed_back_at: Mapped[datetime | None]
