from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "双11 精华意向 · 活跃非敏感肌",
                    "description": "近 7 天浏览 3 次以上、非敏感肌的活跃与忠诚客户",
                    "rule": {
                        "type": "and",
                        "rules": [
                            {
                                "type": "field",
                                "field": "stage",
                                "operator": "in",
                                "value": ["active", "loyal"],
                            },
                            {
                                "type": "event",
                                "event_type": "product_view",
                                "operator": "gte",
                                "value": 3,
                                "within_days": 7,
                            },
                            {"type": "not", "rule": {"type": "tag", "tag": "敏感肌"}},
                        ],
                    },
                    "live": True,
                }
            ]
        }
    )

    name: StorableText = Field(min_length=1, max_length=100)
    description: StorableText = Field(default="", max_length=500)
    rule: RuleNode = Field(examples=[RULE_EXAMPLE], description=RULE_LIMITS)
    live: bool = Field(default=True, description=LIVE_LIMIT)


class SegmentPatch(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"description": "近 7 天浏览精华 3 次以上、非敏感肌；双11 后停用", "live": False}
            ]
        }
    )

    name: StorableText | None = Field(default=None, min_length=1, max_length=100)
    description: StorableText | None = Field(default=None, max_length=500)
    rule: RuleNode | None = Field(default=None, description=RULE_LIMITS)
    live: bool | None = Field(default=None, description=LIVE_LIMIT)


class PreviewIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rule": {
                        "type": "and",
                        "rules": [
                            {
                                "type": "field",
                                "field": "stage",
                                "operator": "in",
                                "value": ["active", "loyal"],
                            },
                            {
                                "type": "event",
                                "event_type": "product_view",
                                "operator": "gte",
                                "value": 3,
                                "within_days": 7,
                            },
                            {"type": "not", "rule": {"type": "tag", "tag": "敏感肌"}},
                        ],
                    }
                }
            ]
        }
    )

    rule: RuleNode = Field(examples=[RULE_EXAMPLE], description=RULE_LIMITS)


class PreviewOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "size": 18230,
                    "sample": ["wx_o6a8s1Kq", "dy_71203384", "xhs_5f1a2b3c"],
                    "evaluated_at": "2026-11-11T20:05:00+08:00",
                }
            ]
        }
    )

    size: int = Field(description="Profiles matching the rule right now")
    sample: list[str] = Field(description="Up to 10 matching user ids")
    evaluated_at: datetime


class SegmentOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "4e5f6a7b-8c9d-4e0f-8a1b-2c3d4e5f6a7b",
                    "name": "双11 精华意向 · 活跃非敏感肌",
                    "description": "近 7 天浏览 3 次以上、非敏感肌的活跃与忠诚客户",
                    "rule": {
                        "type": "and",
                        "rules": [
                            {
                                "type": "field",
                                "field": "stage",
                                "operator": "in",
                                "value": ["active", "loyal"],
                            },
                            {
                                "type": "event",
                                "event_type": "product_view",
                                "operator": "gte",
                                "value": 3,
                                "within_days": 7,
                            },
                            {"type": "not", "rule": {"type": "tag", "tag": "敏感肌"}},
                        ],
                    },
                    "live": True,
                    "time_dependent": True,
                    "version": 2,
                    "member_count": 18230,
                    "created_by": "ops@brand.example",
                    "created_at": "2026-10-28T10:00:00+08:00",
                    "updated_at": "2026-11-01T09:30:00+08:00",
                    "last_evaluated_at": "2026-11-11T20:05:00+08:00",
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "segment_id": "4e5f6a7b-8c9d-4e0f-8a1b-2c3d4e5f6a7b",
                    "days": [
                        {"day": "2026-11-10", "size": 17604, "entered": 1320, "exited": 211},
                        {"day": "2026-11-11", "size": 18230, "entered": 985, "exited": 359},
                    ],
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "segment_id": "4e5f6a7b-8c9d-4e0f-8a1b-2c3d4e5f6a7b",
                    "user_id": "wx_o6a8s1Kq",
                    "matches": True,
                    "member": True,
                    "entered_at": "2026-11-09T21:10:00+08:00",
                    "conditions": [
                        {
                            "path": "rules.0",
                            "condition": {
                                "type": "field",
                                "field": "stage",
                                "operator": "in",
                                "value": ["active", "loyal"],
                            },
                            "actual": "loyal",
                            "holds": True,
                        },
                        {
                            "path": "rules.1",
                            "condition": {
                                "type": "event",
                                "event_type": "product_view",
                                "operator": "gte",
                                "value": 3,
                                "within_days": 7,
                            },
                            "actual": 5,
                            "holds": True,
                        },
                        {
                            "path": "rules.2.rule",
                            "condition": {"type": "tag", "tag": "敏感肌"},
                            "actual": False,
                            "holds": False,
                        },
                    ],
                    "evaluated_at": "2026-11-11T20:05:00+08:00",
                }
            ]
        }
    )

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
