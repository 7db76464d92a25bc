from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from segmentation.segments.rules import RuleNode
from segmentation.segments.validation import MAX_CONDITIONS, MAX_DEPTH, MAX_LIVE_SEGMENTS
from yunying_shared.storable import StorableText

MAX_HISTORY_DAYS = 366

RULE_EXAMPLE = {
    "type": "and",
    "rules": [
        {"type": "field", "field": "stage", "operator": "in", "value": ["active", "loyal"]},
        {
            "type": "event",
            "event_type": "product_view",
            "within_days": 7,
            "operator": "gte",
            "value": 3,
        },
        {"type": "not", "rule": {"type": "tag", "tag": "敏感肌"}},
    ],
}


RULE_LIMITS = (
    f"At most {MAX_DEPTH} levels from the root to the deepest condition and "
    f"{MAX_CONDITIONS} conditions in all; a rule above either is refused with 422 "
    "(`invalid_segment_rule`, naming the path)."
)
LIVE_LIMIT = (
    "Keep membership current as events arrive and windows pass; false freezes the membership "
    f"taken at save time. At most {MAX_LIVE_SEGMENTS} live segments per workspace: one more is "
    "refused with 409 (`live_segment_limit`)."
)


class SegmentIn(BaseModel):
    name: StorableText = Field(min_length=1, max_length=100)
    description: StorableText = Field(default="", max_length=500)
    rule: RuleNode = Field(examples=[RULE_EXAMPLE], description=RULE_LIMITS)
    live: bool = Field(default=True, description=LIVE_LIMIT)


class SegmentPatch(BaseModel):
    name: StorableText | None = Field(default=None, min_length=1, max_length=100)
    description: StorableText | None = Field(default=None, max_length=500)
    rule: RuleNode | None = Field(default=None, description=RULE_LIMITS)
    live: bool | None = Field(default=None, description=LIVE_LIMIT)


class PreviewIn(BaseModel):
    rule: RuleNode = Field(examples=[RULE_EXAMPLE], description=RULE_LIMITS)


class PreviewOut(BaseModel):
    size: int = Field(description="Profiles matching the rule right now")
    sample: list[str] = Field(description="Up to 10 matching user ids")
    evaluated_at: datetime


class SegmentOut(BaseModel):
    id: UUID
    name: str
    description: str
    rule: dict[str, Any]
    live: bool
    time_dependent: bool = Field(description="The sweep re-evaluates it as windows pass")
    version: int
    member_count: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    last_evaluated_at: datetime | None


class SegmentDayOut(BaseModel):
    day: date = Field(description="A UTC day")
    size: int = Field(description="Members at the end of the day")
    entered: int = Field(description="Users who entered during the day")
    exited: int = Field(description="Users who exited during the day")


class SegmentDaysOut(BaseModel):
    segment_id: UUID
    days: list[SegmentDayOut] = Field(
        description="Every day of the range in order; a day without changes carries the "
        f"previous size. At most {MAX_HISTORY_DAYS} days.",
        max_length=MAX_HISTORY_DAYS,
    )


class LeafExplanation(BaseModel):
    path: str = Field(description="Where the condition sits in the rule tree")
    condition: dict[str, Any]
    actual: Any = Field(
        description="The user's value: field value, event count or sum, or the "
        "tag's confidence (null when the user has no live tag)"
    )
    holds: bool


class WhyOut(BaseModel):
    segment_id: UUID
    user_id: str
    matches: bool = Field(description="The rule's verdict now")
    member: bool = Field(
        description="Whether the stored membership says so (they differ only "
        "until the next refresh or sweep)"
    )
    entered_at: datetime | None
    conditions: list[LeafExplanation]
    evaluated_at: datetime
