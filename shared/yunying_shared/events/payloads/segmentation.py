"""Events the segmentation service publishes on `segmentation.user.v1` (key: user id)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

LIFECYCLE_STAGES = ("potential", "new", "active", "loyal", "churned")
VALUE_TIERS = ("high_value", "potential_high_value", "general", "low_value")


class UserLifecycleStageChanged(BaseModel):
    """A user moved between lifecycle stages (either direction: churned -> active happens)."""

    user_id: str = Field(description="The CRM's user id")
    from_stage: str | None = Field(description="None when the profile was just created")
    to_stage: str = Field(description="One of LIFECYCLE_STAGES")
    reason: str = Field(description="Which rule placed the user, e.g. 'purchase after churn'")
    changed_at: datetime
    churn_reason: str | None = Field(default=None, description="Last recorded complaint reason")


class UserTierChanged(BaseModel):
    """A user's RFM value tier changed (after a re-score)."""

    user_id: str
    from_tier: str | None
    to_tier: str | None = Field(description="One of VALUE_TIERS; None when no longer scored")
    r_score: int | None = None
    f_score: int | None = None
    m_score: int | None = None
    rfm_class: str | None = Field(default=None, description="The 8-class model, e.g. 重要价值")
    changed_at: datetime
