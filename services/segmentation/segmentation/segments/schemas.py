from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from segmentation.segments.rules import RuleNode
from yunying_shared.storable import StorableText

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


class SegmentIn(BaseModel):
    name: StorableText = Field(min_length=1, max_length=100)
    description: StorableText = Field(default="", max_length=500)
    rule: RuleNode = Field(examples=[RULE_EXAMPLE])
    live: bool = Field(
        default=True,
        description="Keep membership current as events arrive "
        "and windows pass; false freezes the membership taken at save time",
    )


class SegmentPatch(BaseModel):
    name: StorableText | None = Field(default=None, min_length=1, max_length=100)
    description: StorableText | None = Field(default=None, max_length=500)
    rule: RuleNode | None = None
    live: bool | None = None


class PreviewIn(BaseModel):
    rule: RuleNode = Field(examples=[RULE_EXAMPLE])


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
