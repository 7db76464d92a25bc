from __future__ import annotations

from datetime import datetime, time
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from campaigns.sending.zones import zone

ChannelKind = Literal["wechat_template", "sms", "email", "app_push"]


class RulesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "timezone": "Asia/Shanghai",
                    "quiet_start": "22:00:00",
                    "quiet_end": "08:00:00",
                    "cap_count": 3,
                    "cap_window_hours": 24,
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "timezone": "Asia/Shanghai",
                    "quiet_start": "22:00:00",
                    "quiet_end": "08:00:00",
                    "cap_count": 3,
                    "cap_window_hours": 24,
                }
            ]
        }
    )

    pass


class SendOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "f6a7b8c9-d0e1-4f2a-9b3c-4d5e6f708192",
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "enrollment_id": "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7081",
                    "user_id": "wx_o6a8s1Kq",
                    "channel": "wechat_template",
                    "body": "好久不见！双11 专属满299减50券已到账，点击领取～",
                    "priority": 10,
                    "promotional": True,
                    "state": "sent",
                    "reason": None,
                    "due_at": "2026-11-04T10:02:11+08:00",
                    "sent_at": "2026-11-04T10:02:12+08:00",
                    "attempts": 1,
                    "created_at": "2026-11-04T10:02:11+08:00",
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "attempt": 1,
                    "channel": "wechat_template",
                    "status_code": 200,
                    "outcome": "delivered",
                    "error": None,
                    "duration_ms": 182.4,
                    "at": "2026-11-04T10:02:12+08:00",
                }
            ]
        },
    )

    attempt: int
    channel: str
    status_code: int | None
    outcome: str
    error: str | None
    duration_ms: float
    at: datetime
