from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "双11 礼盒精华过敏投诉发酵",
                    "description": "客服当晚收到 37 起同批次精华过敏投诉。",
                    "level": "orange",
                    "keyword": "过敏",
                }
            ]
        }
    )

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    level: Literal["orange", "red"] = "orange"
    keyword: str | None = Field(default=None, max_length=64)

    _text = field_validator("title", "description", "keyword")(_storable)


class TransitionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"to_state": "responding", "note": "已联系质检与客服，声明稿起草中"}]
        }
    )

    to_state: State
    note: str = Field(default="", max_length=1000)

    _text = field_validator("note")(_storable)


class RolesIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "owner": "pr@brand.example",
                    "spokesperson": "品牌官方微博",
                    "approver": "legal@brand.example",
                }
            ]
        }
    )

    owner: str | None = Field(default=None, max_length=128)
    spokesperson: str | None = Field(default=None, max_length=128)
    approver: str | None = Field(default=None, max_length=128)

    _text = field_validator("owner", "spokesperson", "approver")(_storable)


class ActionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "已下架该批次精华并暂停双11 相关推广"}]}
    )

    note: str = Field(min_length=1, max_length=1000)

    _text = field_validator("note")(_storable)


class StatementIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "经核实，部分用户使用的礼盒精华存在质量问题，我们深表歉意。"
                    "涉及批次已下架送检，可联系客服全额退款并获赠 100 元无门槛券。"
                }
            ]
        }
    )

    text: str = Field(min_length=1, max_length=10_000)

    _text = field_validator("text")(_storable)


class StatementCheckOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "acknowledges": True,
                    "apologises": True,
                    "remedy": True,
                    "remedy_concrete": True,
                    "ready": True,
                    "missing": [],
                    "advice": [],
                    "found": {
                        "acknowledges": ["出现不适的情况"],
                        "apologises": ["深表歉意"],
                        "remedy": ["全额退款"],
                        "remedy_concrete": ["100 元"],
                    },
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a",
                    "keyword": "过敏",
                    "title": "双11 礼盒精华过敏投诉发酵",
                    "description": "微博与小红书多条礼盒精华泛红、刺痛反馈，提及量为平日 6 倍。",
                    "source": "alert",
                    "alert_id": "6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f",
                    "level": "orange",
                    "state": "responding",
                    "owner": "pr@brand.example",
                    "spokesperson": "品牌官方微博",
                    "approver": "legal@brand.example",
                    "opened_at": "2026-11-11T22:40:00+08:00",
                    "statement_due_at": "2026-11-12T02:40:00+08:00",
                    "statement_published_at": None,
                    "statement_overdue": False,
                    "reminders_sent": ["half_time"],
                    "closed_at": None,
                    "repair": {
                        "baseline_negative_share": 0.08,
                        "recent_negative_share": 0.31,
                        "negative_back_to_baseline": False,
                        "positive_content_published": 0,
                        "statement_published": False,
                        "suggested_close": False,
                    },
                    "timeline": [
                        {
                            "at": "2026-11-11T22:40:00+08:00",
                            "kind": "opened",
                            "detail": "alert reached orange",
                            "actor": None,
                        },
                        {
                            "at": "2026-11-11T23:05:00+08:00",
                            "kind": "state",
                            "detail": "warning → responding: 已联系质检与客服",
                            "actor": "pr@brand.example",
                        },
                    ],
                }
            ]
        }
    )

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


class PostmortemRoles(BaseModel):
    owner: str | None
    spokesperson: str | None
    approver: str | None


class PostmortemHour(BaseModel):
    hour: datetime = Field(description="The hour's start")
    mentions: int
    negative: int
    authors: int = Field(description="Distinct authors that hour")


class PostmortemRepair(BaseModel):
    baseline_negative_share: float | None
    recent_negative_share: float | None
    negative_back_to_baseline: bool


class Postmortem(BaseModel):
    """The post-mortem report (`format=json`); documents what the route builds as a dict."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a",
                    "title": "双11 礼盒精华过敏投诉发酵",
                    "keyword": "过敏",
                    "level": "orange",
                    "state": "closed",
                    "opened_at": "2026-11-11T22:40:00+08:00",
                    "closed_at": "2026-11-15T18:00:00+08:00",
                    "statement_due_at": "2026-11-12T02:40:00+08:00",
                    "statement_published_at": "2026-11-12T01:30:00+08:00",
                    "statement_on_time": True,
                    "roles": {
                        "owner": "pr@brand.example",
                        "spokesperson": "品牌官方微博",
                        "approver": "legal@brand.example",
                    },
                    "timeline": [
                        {
                            "at": "2026-11-12T01:30:00+08:00",
                            "kind": "statement",
                            "detail": "声明已发布",
                            "actor": "pr@brand.example",
                        }
                    ],
                    "actions": [
                        {
                            "at": "2026-11-12T01:30:00+08:00",
                            "kind": "statement",
                            "detail": "声明已发布",
                            "actor": "pr@brand.example",
                        }
                    ],
                    "volumes": [
                        {
                            "hour": "2026-11-11T22:00:00+08:00",
                            "mentions": 342,
                            "negative": 251,
                            "authors": 288,
                        }
                    ],
                    "positive_content": [
                        {
                            "content_id": "xhs-note-6571c9d0",
                            "title": "送检报告公开｜礼盒精华成分说明",
                            "kind": "article",
                            "at": "2026-11-13T12:00:00+08:00",
                        }
                    ],
                    "repair": {
                        "baseline_negative_share": 0.08,
                        "recent_negative_share": 0.09,
                        "negative_back_to_baseline": True,
                    },
                }
            ]
        }
    )

    case_id: str
    title: str
    keyword: str | None
    level: Level
    state: State
    opened_at: datetime
    closed_at: datetime | None
    statement_due_at: datetime
    statement_published_at: datetime | None
    statement_on_time: bool
    roles: PostmortemRoles
    timeline: list[dict[str, Any]]
    actions: list[dict[str, Any]] = Field(description="The timeline's actions, statements, states")
    volumes: list[PostmortemHour] = Field(description="Hourly, from 24 hours before opening")
    positive_content: list[dict[str, Any]]
    repair: PostmortemRepair
