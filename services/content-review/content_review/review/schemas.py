from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from yunying_shared.storable import StorableDatetime, StorableText


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: StorableText | None = Field(default=None, max_length=500)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StorableText = Field(min_length=1, max_length=500, examples=["“全网最低”须删除"])
    rule_id: StorableText | None = Field(
        default=None, max_length=200, description="The finding this reason answers, if any"
    )


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[ReasonIn] = Field(min_length=1, max_length=100)


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publish_at: StorableDatetime | None = Field(
        default=None, description="Defaults to the item's planned publish time"
    )


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: StorableText = Field(min_length=1, max_length=5_000)


class CommentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: UUID
    revision: int
    author_id: str
    body: str
    created_at: datetime


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: UUID
    revision: int
    actor_id: str | None = Field(description="None for the system (scan, crisis hold, jobs)")
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]
    at: datetime
