from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class StageDay(BaseModel):
    date: date
    counts: dict[str, int] = Field(description="Users per lifecycle stage at the end of the day")


class StageDistribution(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-11-10",
                    "end": "2026-11-11",
                    "days": [
                        {
                            "date": "2026-11-10",
                            "counts": {
                                "potential": 40210,
                                "new": 8120,
                                "active": 61033,
                                "loyal": 12877,
                                "churned": 30211,
                            },
                        },
                        {
                            "date": "2026-11-11",
                            "counts": {
                                "potential": 41876,
                                "new": 11930,
                                "active": 64410,
                                "loyal": 13102,
                                "churned": 29870,
                            },
                        },
                    ],
                }
            ]
        }
    )

    start: date
    end: date
    days: list[StageDay]


class RepurchaseRate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-08-01",
                    "end": "2026-10-31",
                    "purchasers": 40122,
                    "repurchasers": 11235,
                    "rate": 0.28,
                }
            ]
        }
    )

    start: date
    end: date
    purchasers: int = Field(description="Users with at least one purchase in the range")
    repurchasers: int = Field(description="Users with two or more purchases in the range")
    rate: float | None = Field(description="repurchasers / purchasers; null without purchasers")


class ChurnRate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-08-01",
                    "end": "2026-10-31",
                    "active_at_start": 70321,
                    "churned": 6610,
                    "rate": 0.094,
                }
            ]
        }
    )

    start: date
    end: date
    active_at_start: int = Field(description="Users in stage new, active or loyal at the start")
    churned: int = Field(description="Of those, users moved to churned within the range")
    rate: float | None


class ActivityDay(BaseModel):
    date: date
    active_users: int = Field(description="Distinct users with any event that day (UTC)")


class Activity(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-11-10",
                    "end": "2026-11-11",
                    "days": [
                        {"date": "2026-11-10", "active_users": 48213},
                        {"date": "2026-11-11", "active_users": 92077},
                    ],
                    "distinct_active_users": 113540,
                }
            ]
        }
    )

    start: date
    end: date
    days: list[ActivityDay]
    distinct_active_users: int = Field(description="Distinct users active anywhere in the range")


class SourceShare(BaseModel):
    source: str
    users: int
    share: float


class SourceMix(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-10-01",
                    "end": "2026-10-31",
                    "new_users": 12040,
                    "sources": [
                        {"source": "xiaohongshu", "users": 4816, "share": 0.4},
                        {"source": "douyin", "users": 3612, "share": 0.3},
                        {"source": "wechat", "users": 3612, "share": 0.3},
                    ],
                }
            ]
        }
    )

    start: date
    end: date
    new_users: int = Field(description="Profiles first seen within the range")
    sources: list[SourceShare]
