from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yunying_shared.storable import text_problem

RuleKind = Literal["brand", "risk", "competitor"]
MAX_TERMS = 50


def _clean(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class RuleIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "risk", "keyword": "过敏", "terms": ["过敏", "泛红", "刺痛", "烂脸"]}
            ]
        }
    )

    kind: RuleKind = Field(description="brand, risk or competitor")
    keyword: str = Field(min_length=1, max_length=64, description="What alerts are counted by")
    terms: list[str] = Field(
        default_factory=list,
        max_length=MAX_TERMS,
        description="Aliases and product names that also count as the keyword",
    )

    @field_validator("keyword")
    @classmethod
    def _keyword(cls, value: str) -> str:
        return _clean(value)

    @field_validator("terms")
    @classmethod
    def _terms(cls, values: list[str]) -> list[str]:
        cleaned = []
        for value in values:
            if len(value) > 64:
                raise ValueError("each term must be at most 64 characters")
            cleaned.append(_clean(value))
        return list(dict.fromkeys(cleaned))


class RuleOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "risk",
                    "keyword": "过敏",
                    "terms": ["过敏", "泛红", "刺痛", "烂脸"],
                    "id": 3,
                    "created_at": "2026-10-01T10:00:00+08:00",
                    "updated_at": "2026-11-01T10:00:00+08:00",
                }
            ]
        },
    )

    id: int
    kind: RuleKind
    keyword: str
    terms: list[str]
    created_at: datetime
    updated_at: datetime
