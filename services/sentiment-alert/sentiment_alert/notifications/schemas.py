from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yunying_shared.storable import text_problem


class ChannelIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "wecom",
                    "name": "舆情值班群",
                    "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
                    "enabled": True,
                }
            ]
        }
    )

    kind: Literal["wecom", "dingtalk", "slack"]
    name: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=2048, description="The robot's webhook URL")
    secret: str | None = Field(
        default=None, max_length=256, description="DingTalk 加签 secret (SEC…), if set"
    )
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("name", "secret")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        problem = text_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value


class ChannelOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "kind": "wecom",
                    "name": "舆情值班群",
                    "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…aaa",
                    "enabled": True,
                    "created_at": "2026-10-01T10:00:00+08:00",
                }
            ]
        },
    )

    id: int
    kind: str
    name: str
    url: str
    enabled: bool
    created_at: datetime


class DeliveryOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 901,
                    "channel_id": 2,
                    "subject": "alert",
                    "title": "【橙色预警】过敏：1 小时提及 342 条，负面 73%",
                    "status": "delivered",
                    "attempts": 1,
                    "last_error": None,
                    "response_status": 200,
                    "created_at": "2026-11-11T22:35:01+08:00",
                    "delivered_at": "2026-11-11T22:35:02+08:00",
                }
            ]
        },
    )

    id: int
    channel_id: int
    subject: str
    title: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_error: str | None
    response_status: int | None
    created_at: datetime
    delivered_at: datetime | None
