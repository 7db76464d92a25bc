from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yunying_shared.http.batch import FieldError
from yunying_shared.storable import Identifier, StorableDatetime, StorableText, json_problem

TagKind = Literal["attribute", "behaviour", "need"]
TagSource = Literal["rule", "manual", "import", "model"]
MAX_IMPORT = 10_000


class TagIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {"tag": "敏感肌", "kind": "attribute", "source": "manual", "confidence": 1.0}
            ]
        },
    )

    tag: Identifier = Field(min_length=1, max_length=64, examples=["敏感肌", "职场妈妈"])
    kind: TagKind = "attribute"
    source: TagSource = "manual"
    confidence: float = Field(default=1.0, ge=0, le=1)
    expires_at: StorableDatetime | None = Field(
        default=None, description="Hidden from reads afterwards"
    )


class TagOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "tag": "敏感肌",
                    "kind": "attribute",
                    "source": "manual",
                    "confidence": 1.0,
                    "expires_at": None,
                    "updated_at": "2026-11-02T14:00:00+08:00",
                }
            ]
        },
    )

    tag: str
    kind: str
    source: str
    confidence: float
    expires_at: datetime | None
    updated_at: datetime


class ImportedTag(TagIn):
    """One row of a bulk tag import (JSON list items, or CSV columns of the same names)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"user_id": "wx_o6a8s1Kq", "tag": "敏感肌", "kind": "attribute", "confidence": 0.9},
                {"user_id": "dy_71203384", "tag": "精华意向", "kind": "need", "confidence": 0.7},
            ]
        }
    )

    user_id: Identifier = Field(min_length=1, max_length=128)
    source: TagSource = "import"


class RowRejection(BaseModel):
    index: int = Field(description="The row's position in the import, from 0")
    errors: list[FieldError]


class ImportResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "imported": 2,
                    "rejected": [
                        {
                            "index": 2,
                            "errors": [
                                {"field": "confidence", "message": "must be between 0 and 1"}
                            ],
                        }
                    ],
                }
            ]
        }
    )

    imported: int
    rejected: list[RowRejection] = Field(default_factory=list)


class TagRuleIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "name": "双11 浏览精华 3 次以上",
                    "event_type": "product_view",
                    "match_properties": {"category": "精华"},
                    "tag": "精华意向",
                    "kind": "need",
                    "confidence": 0.8,
                    "ttl_days": 30,
                }
            ]
        },
    )

    name: StorableText = Field(min_length=1, max_length=100)
    event_type: Identifier = Field(min_length=1, max_length=64, examples=["product_view"])
    match_properties: dict[str, Any] = Field(
        default_factory=dict,
        description="Each property must equal the given value",
        examples=[{"category": "skincare"}],
    )
    tag: Identifier = Field(min_length=1, max_length=64)
    kind: TagKind = "behaviour"
    confidence: float = Field(default=1.0, ge=0, le=1)
    ttl_days: int | None = Field(
        default=None, ge=1, le=3650, description="The tag expires this long after the event"
    )

    @field_validator("match_properties")
    @classmethod
    def _storable_properties(cls, value: dict[str, Any]) -> dict[str, Any]:
        problem = json_problem(value, max_depth=8)
        if problem:
            raise ValueError(problem)
        return value


class TagRuleOut(TagRuleIn):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "双11 浏览精华 3 次以上",
                    "event_type": "product_view",
                    "match_properties": {"category": "精华"},
                    "tag": "精华意向",
                    "kind": "need",
                    "confidence": 0.8,
                    "ttl_days": 30,
                    "id": 7,
                }
            ]
        },
    )

    id: int
