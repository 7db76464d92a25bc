from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yunying_shared.storable import text_problem

MAX_TEXT = 10_000
MAX_TEXTS = 1000


def _check(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    problem = text_problem(value, allow_control=True)
    if problem:
        raise ValueError(problem)
    return value


class ScoreIn(BaseModel):
    """Either `text` (one) or `texts` (up to 1,000)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"texts": ["包装很精致，送人很有面子", "用了脸上泛红刺痛，再也不买了"]}]
        }
    )

    text: str | None = Field(default=None, max_length=MAX_TEXT)
    texts: list[str] | None = Field(default=None, min_length=1, max_length=MAX_TEXTS)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _check(value)

    @field_validator("texts")
    @classmethod
    def _texts(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        for value in values:
            if len(value) > MAX_TEXT:
                raise ValueError(f"each text must be at most {MAX_TEXT} characters")
            _check(value)
        return values

    @model_validator(mode="after")
    def _one_form(self) -> ScoreIn:
        if (self.text is None) == (self.texts is None):
            raise ValueError("send exactly one of text or texts")
        return self


class ScoreOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"label": "neg", "score": 0.08, "language": "zh"}]}
    )

    label: Literal["pos", "neu", "neg"]
    score: float = Field(description="-1 (negative) to 1 (positive)")
    language: str = Field(description="zh, en or other")


class ScoreBatchOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {"label": "pos", "score": 0.93, "language": "zh"},
                        {"label": "neg", "score": 0.08, "language": "zh"},
                    ]
                }
            ]
        }
    )

    results: list[ScoreOut]
