from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from yunying_shared.http.batch import FieldError
from yunying_shared.storable import StorableText

ListName = Literal["allow", "deny"]


class ListEntryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "list": "deny",
                    "term": "根治",
                    "severity": "block",
                    "suggestion": "改为“帮助改善”",
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "allow": [
                        {
                            "id": 3,
                            "list": "allow",
                            "term": "极致生活",
                            "severity": None,
                            "suggestion": "",
                            "created_at": "2026-09-01T10:00:00+08:00",
                        }
                    ],
                    "deny": [
                        {
                            "id": 12,
                            "list": "deny",
                            "term": "根治",
                            "severity": "block",
                            "suggestion": "改为“帮助改善”",
                            "created_at": "2026-09-01T10:00:00+08:00",
                        }
                    ],
                }
            ]
        }
    )

    allow: list[ListEntryOut]
    deny: list[ListEntryOut]


class RejectedEntry(BaseModel):
    index: int
    errors: list[FieldError]


class BatchResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "created": [
                        {
                            "id": 12,
                            "list": "deny",
                            "term": "根治",
                            "severity": "block",
                            "suggestion": "改为“帮助改善”",
                            "created_at": "2026-09-01T10:00:00+08:00",
                        }
                    ],
                    "rejected": [
                        {
                            "index": 1,
                            "errors": [{"field": "term", "message": "already on the deny list"}],
                        }
                    ],
                }
            ]
        }
    )

    created: list[ListEntryOut]
    rejected: list[RejectedEntry] = Field(description="Entries refused, each with its fields")
