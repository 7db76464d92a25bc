from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from yunying_shared.storable import text_problem

State = Literal["warning", "responding", "repairing", "closed"]
Level = Literal["blue", "yellow", "orange", "red"]


def _storable(value: str | None) -> str | None:
    if value is None:
        return None
    problem = text_problem(value, allow_control=True)
    if problem:
        raise ValueError(problem)
    return value


class CrisisReportIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    level: Literal["orange", "red"] = "orange"
    keyword: str | None = Field(default=None, max_length=64)

    _text = field_validator("title", "description", "keyword")(_storable)


class TransitionIn(BaseModel):
    to_state: State
    note: str = Field(default="", max_length=1000)

    _text = field_validator("note")(_storable)


class RolesIn(BaseModel):
    owner: str | None = Field(default=None, max_length=128)
    spokesperson: str | None = Field(default=None, max_length=128)
    approver: str | None = Field(default=None, max_length=128)

    _text = field_validator("owner", "spokesperson", "approver")(_storable)


class ActionIn(BaseModel):
    note: str = Field(min_length=1, max_length=1000)

    _text = field_validator("note")(_storable)


class StatementIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)

    _text = field_validator("text")(_storable)


class StatementCheckOut(BaseModel):
    acknowledges: bool
    apologises: bool
    remedy: bool
    remedy_concrete: bool
    ready: bool = Field(description="Nothing is missing")
    missing: list[str]
    advice: list[str]
    found: dict[str, list[str]]


class RepairOut(BaseModel):
    baseline_negative_share: float | None
    recent_negative_share: float | None
    negative_back_to_baseline: bool
    positive_content_published: int
    statement_published: bool
    suggested_close: bool


class CrisisOut(BaseModel):
    id: str
    keyword: str | None
    title: str
    description: str
    source: Literal["alert", "manual"]
    alert_id: str | None
    level: Level
    state: State
    owner: str | None
    spokesperson: str | None
    approver: str | None
    opened_at: datetime
    statement_due_at: datetime
    statement_published_at: datetime | None
    statement_overdue: bool
    reminders_sent: list[str]
    closed_at: datetime | None
    repair: RepairOut
    timeline: list[dict[str, Any]]
