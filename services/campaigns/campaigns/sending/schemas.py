from __future__ import annotations

from datetime import datetime, time
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from campaigns.sending.zones import zone

ChannelKind = Literal["wechat_template", "sms", "email", "app_push"]


class RulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    quiet_start: time | None = Field(default=None, description="Local time sends stop, 22:00")
    quiet_end: time | None = Field(default=None, description="Local time sends resume, 08:00")
    cap_count: int = Field(default=3, ge=1, le=100, description="Messages per user per window")
    cap_window_hours: int = Field(default=24, ge=1, le=24 * 30)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)  # raises ValueError naming it when unknown
        return value

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet_start and quiet_end go together")
        return self


class RulesOut(RulesIn):
    pass


class SendOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    campaign_id: UUID | None
    enrollment_id: UUID | None
    user_id: str
    channel: str
    body: str
    priority: int
    promotional: bool
    state: str
    reason: str | None
    due_at: datetime
    sent_at: datetime | None
    attempts: int
    created_at: datetime


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt: int
    channel: str
    status_code: int | None
    outcome: str
    error: str | None
    duration_ms: float
    at: datetime
