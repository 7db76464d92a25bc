"""Events the campaigns service publishes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ReferralSignupAttributed(BaseModel):
    """A sign-up was attributed to an inviter's referral (topic `campaigns.referral.v1`)."""

    invitee_user_id: str = Field(min_length=1, max_length=128)
    inviter_user_id: str = Field(min_length=1, max_length=128)
    campaign_id: str | None = Field(default=None, max_length=128)
    invite_code: str | None = None
    attributed_at: datetime | None = None


class CampaignStateChanged(BaseModel):
    """A campaign moved between draft, scheduled, running, paused and finished
    (topic `campaigns.campaign.v1`, key: campaign id)."""

    campaign_id: str
    name: str
    type: str = Field(description="first_order_coupon, churn_recall, referral, holiday, ...")
    from_state: str | None
    to_state: str
    reason: str | None = None
    occurred_at: datetime


class CouponChanged(BaseModel):
    """A coupon was issued, redeemed, expired or clawed back (topic `campaigns.coupon.v1`,
    key: coupon id). The code itself is never published."""

    coupon_id: str
    campaign_id: str | None
    template_id: str
    user_id: str
    reason: str = Field(description="Why it was issued, e.g. journey step or referral reward")
    occurred_at: datetime


class ExperimentConcluded(BaseModel):
    """An experiment reached its decision (topic `campaigns.experiment.v1`, key: experiment id)."""

    experiment_id: str
    campaign_id: str | None
    winner: str | None = Field(description="The winning variant; None when none beat control")
    decision: str
    occurred_at: datetime
