from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yunying_shared.events.payloads.listening import MENTION_PLATFORMS
from yunying_shared.storable import text_problem

# Where a reply can be posted: every listened platform but news sites.
REPLY_PLATFORMS = tuple(p for p in MENTION_PLATFORMS if p != "news")
ReplyPlatform = Literal["weibo", "xiaohongshu", "douyin", "wechat", "bilibili", "other"]
Mode = Literal["propose", "auto_send"]
MAX_QUESTIONS = 20
MAX_QUESTION = 200
MAX_ANSWER = 1000
MAX_ENTRIES = 2000
DEFAULT_THRESHOLD = 0.6


def _clean(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class EntryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "questions": ["什么时候发货", "发货要多久", "How long does shipping take?"],
                    "answer": "下单后48小时内发货，江浙沪次日达。Orders ship within 48 hours.",
                    "platforms": ["weibo", "xiaohongshu", "douyin"],
                }
            ]
        },
    )

    questions: list[str] = Field(
        min_length=1,
        max_length=MAX_QUESTIONS,
        description=f"Ways customers ask it (1-{MAX_QUESTIONS}, each at most {MAX_QUESTION} "
        "characters); Chinese and English alike",
    )
    answer: str = Field(min_length=1, max_length=MAX_ANSWER, description="The reply sent")
    platforms: list[ReplyPlatform] = Field(
        default_factory=list,
        max_length=len(REPLY_PLATFORMS),
        description="Where this answer may be used; empty: every platform",
    )

    @field_validator("questions")
    @classmethod
    def _questions(cls, values: list[str]) -> list[str]:
        cleaned = []
        for value in values:
            if len(value) > MAX_QUESTION:
                raise ValueError(f"each question must be at most {MAX_QUESTION} characters")
            cleaned.append(_clean(value))
        return list(dict.fromkeys(cleaned))

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: str) -> str:
        return _clean(value)

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, values: list[str]) -> list[str]:
        return sorted(set(values))


class EntryOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 5,
                    "questions": ["几天发货？", "什么时候发货", "多久能到"],
                    "answer": "双11 订单将在 48 小时内陆续发出，预售款按页面时间发货哦～",
                    "platforms": ["xiaohongshu", "douyin"],
                    "created_at": "2026-10-20T10:00:00+08:00",
                    "updated_at": "2026-11-01T09:00:00+08:00",
                }
            ]
        },
    )

    id: int
    questions: list[str]
    answer: str
    platforms: list[str]
    created_at: datetime
    updated_at: datetime


class SettingsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"threshold": 0.6, "mode": "auto_send"}]},
    )

    threshold: float = Field(
        default=DEFAULT_THRESHOLD,
        ge=0.05,
        le=1.0,
        description="Confidence from which the FAQ answers; below it a person does",
    )
    mode: Mode = Field(
        default="propose",
        description="propose: an operator sends the proposed answer; auto_send: sent at once",
    )


class SettingsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "threshold": 0.6,
                    "mode": "propose",
                    "entries": 48,
                    "updated_at": "2026-11-01T09:00:00+08:00",
                }
            ]
        }
    )

    threshold: float
    mode: Mode
    entries: int = Field(description="FAQ entries in the workspace")
    updated_at: datetime | None


class MatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "请问几天发货？", "platform": "xiaohongshu"}]},
    )

    text: str = Field(min_length=1, max_length=2000, description="A customer's question")
    platform: ReplyPlatform | None = Field(
        default=None, description="Leave out entries limited to other platforms"
    )


class CandidateOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entry_id": 5,
                    "question": "几天发货？",
                    "answer": "双11 订单将在 48 小时内陆续发出，预售款按页面时间发货哦～",
                    "score": 7.82,
                    "confidence": 0.91,
                }
            ]
        }
    )

    entry_id: int
    question: str = Field(description="The entry's question variant that matched best")
    answer: str
    score: float = Field(description="BM25 score (ranks; not comparable across FAQs)")
    confidence: float = Field(ge=0, le=1, description="What the workspace threshold is held to")


class MatchOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "candidates": [
                        {
                            "entry_id": 5,
                            "question": "几天发货？",
                            "answer": "双11 订单将在 48 小时内陆续发出，预售款按页面时间发货哦～",
                            "score": 7.82,
                            "confidence": 0.91,
                        }
                    ],
                    "threshold": 0.6,
                    "answers": True,
                }
            ]
        }
    )

    candidates: list[CandidateOut] = Field(description="Best first, at most three")
    threshold: float
    answers: bool = Field(description="The best candidate reaches the workspace's threshold")
