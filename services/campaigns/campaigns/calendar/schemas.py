from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class DayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$", examples=["brand_day"])
    name: str = Field(min_length=1, max_length=100, examples=["品牌日"])
    day: date


class DayOut(BaseModel):
    key: str
    name: str
    day: date
    builtin: bool
