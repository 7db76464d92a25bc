from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sentiment_alert.faq.schemas import MAX_ANSWER
from yunying_shared.storable import text_problem

Status = Literal["queued", "proposed", "replying", "replied", "dismissed"]
Reason = Literal[
    "matched",
    "low_confidence",
    "no_match",
    "negative",
    "crisis",
    "risk",
    "reply_failed",
    "operator",
]


class CandidateOut(BaseModel):
    entry_id: int
    question: str
    confidence: float


class MessageOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "msg-20261111-8841",
                    "platform": "xiaohongshu",
                    "platform_id": "c-6560a1b2-0042",
                    "kind": "comment",
                    "reply_to": "6560a1b2000000001f03c2d4",
                    "author": "小鹿爱护肤",
                    "text": "礼盒什么时候发货呀？",
                    "user_id": None,
                    "posted_at": "2026-11-11T20:12:00+08:00",
                    "received_at": "2026-11-11T20:12:03+08:00",
                    "language": "zh",
                    "label": "neu",
                    "sentiment_score": 0.52,
                    "status": "proposed",
                    "reason": "low_confidence",
                    "faq_entry_id": 5,
                    "confidence": 0.54,
                    "suggestion": "双11 订单将在 48 小时内陆续发出，预售款按页面时间发货哦～",
                    "candidates": [{"entry_id": 5, "question": "几天发货？", "confidence": 0.54}],
                    "reply_text": None,
                    "replied_by": None,
                    "reply_attempts": 0,
                    "reply_error": None,
                    "reply_platform_id": None,
                    "replied_at": None,
                    "handled_by": None,
                }
            ]
        },
    )

    id: str
    platform: str
    platform_id: str = Field(description="The comment's or message's id on the platform")
    kind: Literal["comment", "direct_message"]
    reply_to: str | None = Field(
        description="Comment: the post it is under; direct message: the conversation"
    )
    author: str
    text: str
    user_id: str | None
    posted_at: datetime
    received_at: datetime
    language: str
    label: Literal["pos", "neu", "neg"]
    sentiment_score: float
    status: Status
    reason: Reason = Field(description="Why it is where it is")
    faq_entry_id: int | None = Field(description="The best FAQ entry, if any matched")
    confidence: float | None
    suggestion: str | None = Field(description="The FAQ answer proposed (kept when queued)")
    candidates: list[CandidateOut]
    reply_text: str | None
    replied_by: str | None = Field(description='"faq" for an automatic reply, else the operator')
    reply_attempts: int
    reply_error: str | None
    reply_platform_id: str | None = Field(description="The platform's id of the posted reply")
    replied_at: datetime | None
    handled_by: str | None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: object) -> str:
        return str(value)


class AnswerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "抱歉让您久等了，已为您加急处理。"}, {}]},
    )

    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_ANSWER,
        description="The reply; leave out to send the proposed FAQ answer",
    )

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("must not be blank")
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
        return value
