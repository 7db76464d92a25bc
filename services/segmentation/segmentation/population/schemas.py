from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class StageDay(BaseModel):
    date: date
    counts: dict[str, int] = Field(description="Users per lifecycle stage at the end of the day")


class StageDistribution(BaseModel):
    start: date
    end: date
    days: list[StageDay]


class RepurchaseRate(BaseModel):
    start: date
    end: date
    purchasers: int = Field(description="Users with at least one purchase in the range")
    repurchasers: int = Field(description="Users with two or more purchases in the range")
    rate: float | None = Field(description="repurchasers / purchasers; null without purchasers")


class ChurnRate(BaseModel):
    start: date
    end: date
    active_at_start: int = Field(description="Users in stage new, active or loyal at the start")
    churned: int = Field(description="Of those, users moved to churned within the range")
    rate: float | None


class ActivityDay(BaseModel):
    date: date
    active_users: int = Field(description="Distinct users with any event that day (UTC)")


class Activity(BaseModel):
    start: date
    end: date
    days: list[ActivityDay]
    distinct_active_users: int = Field(description="Distinct users active anywhere in the range")


class SourceShare(BaseModel):
    source: str
    users: int
    share: float


class SourceMix(BaseModel):
    start: date
    end: date
    new_users: int = Field(description="Profiles first seen within the range")
    sources: list[SourceShare]
