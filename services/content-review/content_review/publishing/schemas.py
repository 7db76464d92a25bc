from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CadenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Literal["day", "week"]
    minimum: int = Field(ge=0, le=1000)
    maximum: int = Field(ge=1, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> CadenceIn:
        if self.minimum > self.maximum:
            raise ValueError("minimum must not exceed maximum")
        return self


class CadenceOut(BaseModel):
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

    model_config = ConfigDict(populate_by_name=True)
