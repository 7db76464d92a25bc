from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from yunying_shared.storable import StorableDatetime, StorableText


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "卖点与备案功效一致，可发布"}]}
    )

    note: StorableText | None = Field(default=None, max_length=500)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StorableText = Field(min_length=1, max_length=500, examples=["“全网最低”须删除"])
    rule_id: StorableText | None = Field(
        default=None, max_length=200, description="The finding this reason answers, if any"
    )


class RejectIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reasons": [{"reason": "“全网最低”属极限用语，须删除", "rule_id": "ad-law-9-3"}]}
            ]
        },
    )

    reasons: list[ReasonIn] = Field(min_length=1, max_length=100)


class ScheduleIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"publish_at": "2030-11-08T20:00:00+08:00"}]},
    )

    publish_at: StorableDatetime | None = Field(
        default=None, description="Defaults to the item's planned publish time"
    )


class CommentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"body": "第二张图的授权截图请补到素材库"}]}
    )

    body: StorableText = Field(min_length=1, max_length=5_000)


class CommentOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "item_id": "3d4e5f6a-7b8c-4d9e-9f0a-1b2c3d4e5f6a",
                    "revision": 2,
                    "author_id": "legal@brand.example",
                    "body": "第二张图的授权截图请补到素材库",
                    "created_at": "2026-11-02T16:00:00+08:00",
                }
            ]
        },
    )

    id: int
    item_id: UUID
    revision: int
    author_id: str
    body: str
    created_at: datetime


class AuditOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 318,
                    "item_id": "3d4e5f6a-7b8c-4d9e-9f0a-1b2c3d4e5f6a",
                    "revision": 2,
                    "actor_id": "ops@brand.example",
                    "action": "operator_check",
                    "from_state": "submitted",
                    "to_state": "in_review",
                    "detail": {"note": "已核对价格与活动规则"},
                    "at": "2026-11-02T16:05:00+08:00",
                }
            ]
        },
    )

    id: int
    item_id: UUID
    revision: int
    actor_id: str | None = Field(description="None for the system (scan, crisis hold, jobs)")
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]
    at: datetime
