from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from yunying_shared.storable import StorableText

ListName = Literal["allow", "deny"]


class ListEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    list: ListName = Field(description="allow: brand names and phrases; deny: banned terms")
    term: Annotated[StorableText, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        max_length=100, examples=["极致生活"]
    )
    severity: Literal["block", "needs_review", "hint"] | None = Field(
        default=None, description="Deny entries only (default needs_review)"
    )
    suggestion: StorableText = Field(default="", max_length=200)


class ListEntryOut(BaseModel):
    id: int
    list: str
    term: str
    severity: str | None
    suggestion: str
    created_at: datetime


class ListsOut(BaseModel):
    allow: list[ListEntryOut]
    deny: list[ListEntryOut]


class RejectedEntry(BaseModel):
    index: int
    errors: list[dict[str, str]]


class BatchResult(BaseModel):
    created: list[ListEntryOut]
    rejected: list[RejectedEntry] = Field(description="Entries refused, each with its fields")
