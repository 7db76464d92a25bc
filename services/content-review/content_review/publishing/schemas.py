from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CadenceIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"period": "week", "minimum": 3, "maximum": 7}]},
    )

    period: Literal["day", "week"]
    minimum: int = Field(ge=0, le=1000)
    maximum: int = Field(ge=1, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> CadenceIn:
        if self.minimum > self.maximum:
            raise ValueError("minimum must not exceed maximum")
        return self


class CadenceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "platform": "xiaohongshu",
                    "period": "week",
                    "minimum": 3,
                    "maximum": 7,
                    "source": "workspace",
                }
            ]
        }
    )

    platform: str
    period: Literal["day", "week"]
    minimum: int
    maximum: int
    source: Literal["default", "workspace"]


class CalendarEntry(BaseModel):
    id: UUID
    platform: str
    account: str
    kind: str
    state: str
    title: str
    planned_publish_at: datetime


class CalendarPeriod(BaseModel):
    platform: str
    account: str
    period: Literal["day", "week"]
    start: date = Field(description="First day of the period (local dates, see timezone)")
    end: date = Field(description="Last day of the period")
    count: int
    minimum: int
    maximum: int
    status: Literal["under", "ok", "over", "partial"] = Field(
        description="partial: the range covers only part of the period (and it is not over)"
    )


class CalendarOut(BaseModel):
    from_: datetime = Field(alias="from")
    to: datetime
    timezone: str
    items: list[CalendarEntry]
    periods: list[CalendarPeriod]

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "from": "2026-11-02T00:00:00+08:00",
                    "to": "2026-11-09T00:00:00+08:00",
                    "timezone": "Asia/Shanghai",
                    "items": [
                        {
                            "id": "3d4e5f6a-7b8c-4d9e-9f0a-1b2c3d4e5f6a",
                            "platform": "xiaohongshu",
                            "account": "brand-official",
                            "kind": "ad",
                            "state": "scheduled",
                            "title": "双11 限定礼盒开箱｜敏感肌也能放心用",
                            "planned_publish_at": "2026-11-08T20:00:00+08:00",
                        }
                    ],
                    "periods": [
                        {
                            "platform": "xiaohongshu",
                            "account": "brand-official",
                            "period": "week",
                            "start": "2026-11-02",
                            "end": "2026-11-08",
                            "count": 1,
                            "minimum": 3,
                            "maximum": 7,
                            "status": "under",
                        }
                    ],
                }
            ]
        },
    )
