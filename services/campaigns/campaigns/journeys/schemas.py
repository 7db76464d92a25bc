from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

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


# A journey as a marketer posts it; the answer's example adds what the service assigns.
_JOURNEY_EXAMPLE: JsonDict = {
    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
    "name": "流失老客 · 双11 召回旅程",
    "trigger": {
        "event": "lifecycle_stage_changed",
        "from_stage": "active",
        "to_stage": "churned",
    },
    "steps": [
        {
            "type": "send_message",
            "channel": "wechat_template",
            "body": "好久不见！双11 专属满299减50券已到账，点击领取～",
            "by_churn_reason": {"price": "双11 全年最低价，满299再减50，给你留好了～"},
        },
        {"type": "wait", "seconds": 259200},
        {
            "type": "condition",
            "kind": "purchase",
            "within_seconds": 259200,
            "if_did": "exit",
            "if_not": "continue",
        },
        {
            "type": "issue_coupon",
            "template_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        },
        {"type": "tag_user", "tag": "双11召回"},
    ],
    "reentry_days": 30,
}


class JourneyIn(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [_JOURNEY_EXAMPLE]})

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
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70",
                    **_JOURNEY_EXAMPLE,
                    "active": True,
                    "created_at": "2026-10-30T16:00:00+08:00",
                }
            ]
        },
    )

    id: UUID
    campaign_id: UUID
    name: str
    trigger: dict[str, object]
    steps: list[dict[str, object]]
    reentry_days: int | None
    active: bool
    created_at: datetime


class EnrollmentOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7081",
                    "journey_id": "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70",
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "user_id": "wx_o6a8s1Kq",
                    "state": "waiting",
                    "step_index": 1,
                    "due_at": "2026-11-07T10:02:11+08:00",
                    "outcome": None,
                    "context": {"churn_reason": "price"},
                    "enrolled_at": "2026-11-04T10:02:10+08:00",
                    "updated_at": "2026-11-04T10:02:11+08:00",
                }
            ]
        },
    )

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
