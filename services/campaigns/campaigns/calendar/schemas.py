from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class DayIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"key": "brand_day", "name": "品牌日 · 周年庆", "day": "2026-08-18"}]
        },
    )

    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$", examples=["brand_day"])
    name: str = Field(min_length=1, max_length=100, examples=["品牌日"])
    day: date


class DayOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"key": "double_11", "name": "双11", "day": "2026-11-11", "builtin": True}]
        }
    )

    key: str
    name: str
    day: date
    builtin: bool
