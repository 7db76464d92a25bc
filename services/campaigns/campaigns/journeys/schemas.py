from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

ActivityKind = Literal["registered", "purchase", "refund", "share", "referral_signup"]
Stage = Literal["potential", "new", "active", "loyal", "churned"]
Tier = Literal["high_value", "potential_high_value", "general", "low_value"]
# "continue" goes on with the next step, "exit" ends the journey, a number jumps to that step.
Branch = Literal["continue", "exit"] | Annotated[int, Field(ge=0)]
MAX_WAIT = 90 * 24 * 3600


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StageTrigger(_Strict):
    event: Literal["lifecycle_stage_changed"]
    from_stage: Stage | None = Field(default=None, description="Any when omitted")
    to_stage: Stage | None = None


class SegmentTrigger(_Strict):
    event: Literal["segment_entered"]
    segment_id: str = Field(min_length=1, max_length=64)


class TierTrigger(_Strict):
    event: Literal["tier_changed"]
    to_tier: Tier | None = None


class ActivityTrigger(_Strict):
    event: Literal["user_event"]
    kind: ActivityKind


Trigger = Annotated[
    StageTrigger | SegmentTrigger | TierTrigger | ActivityTrigger, Field(discriminator="event")
]


class WaitStep(_Strict):
    type: Literal["wait"]
    seconds: int = Field(ge=1, le=MAX_WAIT)


class ConditionStep(_Strict):
    """Did the user do `kind` within `within_seconds` of reaching this step? Decided when that
    time is up."""

    type: Literal["condition"]
    kind: ActivityKind
    within_seconds: int = Field(ge=1, le=MAX_WAIT)
    if_did: Branch = "continue"
    if_not: Branch = "exit"


class CouponStep(_Strict):
    type: Literal["issue_coupon"]
    template_id: UUID | None = Field(default=None, description="The campaign's when omitted")


class MessageStep(_Strict):
    type: Literal["send_message"]
    channel: Literal["wechat_template", "sms", "email", "app_push"]
    body: str = Field(min_length=1, max_length=2000)
    by_churn_reason: dict[str, str] = Field(
        default_factory=dict,
        description="Churn recall: the body for the user's recorded churn reason "
        "(delivery, price, quality, ...); `body` otherwise",
    )


class TagStep(_Strict):
    type: Literal["tag_user"]
    tag: str = Field(min_length=1, max_length=64)


Step = Annotated[
    WaitStep | ConditionStep | CouponStep | MessageStep | TagStep, Field(discriminator="type")
]


class JourneyIn(_Strict):
    campaign_id: UUID
    name: str = Field(min_length=1, max_length=100)
    trigger: Trigger
    steps: list[Step] = Field(min_length=1, max_length=50)
    reentry_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Enter at most once per this many days; omitted: once ever",
    )

    @model_validator(mode="after")
    def _jumps_in_range(self) -> Self:
        for index, step in enumerate(self.steps):
            if isinstance(step, ConditionStep):
                for name in ("if_did", "if_not"):
                    target = getattr(step, name)
                    if isinstance(target, int) and not index < target < len(self.steps):
                        raise ValueError(
                            f"steps.{index}.{name}: jump to {target} must go forward, "
                            f"to a step below {len(self.steps)}"
                        )
        return self


class JourneyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    campaign_id: UUID
    name: str
    trigger: dict[str, object]
    steps: list[dict[str, object]]
    reentry_days: int | None
    active: bool
    created_at: datetime


class EnrollmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    journey_id: UUID
    campaign_id: UUID
    user_id: str
    state: str
    step_index: int
    due_at: datetime | None
    outcome: str | None
    context: dict[str, object]
    enrolled_at: datetime
    updated_at: datetime
