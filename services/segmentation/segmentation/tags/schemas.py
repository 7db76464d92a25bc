from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yunying_shared.storable import Identifier, StorableDatetime, StorableText, json_problem

TagKind = Literal["attribute", "behaviour", "need"]
TagSource = Literal["rule", "manual", "import", "model"]
MAX_IMPORT = 10_000


class TagIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    tag: Identifier = Field(min_length=1, max_length=64, examples=["敏感肌", "职场妈妈"])
    kind: TagKind = "attribute"
    source: TagSource = "manual"
    confidence: float = Field(default=1.0, ge=0, le=1)
    expires_at: StorableDatetime | None = Field(
        default=None, description="Hidden from reads afterwards"
    )


class TagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tag: str
    kind: str
    source: str
    confidence: float
    expires_at: datetime | None
    updated_at: datetime


class ImportedTag(TagIn):
    user_id: Identifier = Field(min_length=1, max_length=128)
    source: TagSource = "import"


class ImportResult(BaseModel):
    imported: int
    rejected: list[dict[str, Any]] = Field(default_factory=list)


class TagRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

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
    model_config = ConfigDict(from_attributes=True)

    id: int
