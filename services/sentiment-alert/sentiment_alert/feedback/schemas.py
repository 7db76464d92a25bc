from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yunying_shared.storable import text_problem

MAX_FEEDBACK = 500


class FeedbackIn(BaseModel):
    user_id: str = Field(min_length=1, max_length=128, description="The CRM's user id")
    text: str = Field(min_length=1, max_length=5000, description="The answer or message")
    source: Literal["survey", "mention"] = "survey"

    @field_validator("user_id", "text")
    @classmethod
    def _storable(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        problem = text_problem(value, allow_control=True)
        if problem:
            raise ValueError(problem)
        return value


class FeedbackBatchIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "user_id": "wx_o6a8s1Kq",
                            "text": "快递太慢了，双11 下单一周才到",
                            "source": "survey",
                        }
                    ]
                }
            ]
        }
    )

    items: list[FeedbackIn] = Field(min_length=1, max_length=MAX_FEEDBACK)


class FeedbackOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "wx_o6a8s1Kq",
                    "aspect": "delivery",
                    "cues": ["快递太慢"],
                    "label": "neg",
                    "churn_related": False,
                    "published": True,
                    "classified_at": "2026-11-18T10:00:00+08:00",
                }
            ]
        }
    )

    user_id: str
    aspect: Literal["product", "service", "delivery", "price", "other"]
    cues: list[str]
    label: Literal["pos", "neu", "neg"]
    churn_related: bool
    published: bool = Field(description="Sent as feedback.classified (negative or churn only)")
    classified_at: datetime
