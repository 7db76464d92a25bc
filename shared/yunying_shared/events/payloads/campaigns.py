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
