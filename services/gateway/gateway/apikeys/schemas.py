from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gateway.apikeys.scopes import ScopeName, known_scopes

EXAMPLE_ID = "3f0c6a1e-2b7d-4c8e-9f1a-5d6e7f8a9b0c"


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "CRM sync", "scopes": ["events:write"]}]}
    )

    name: str = Field(
        min_length=1, max_length=100, description="What the key is for", examples=["CRM sync"]
    )
    scopes: list[ScopeName] = Field(
        min_length=1,
        max_length=len(known_scopes()),
        description="What the key may do",
        examples=[["events:write"]],
    )


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": EXAMPLE_ID,
                    "name": "CRM sync",
                    "prefix": "a1b2c3d4e5f6",
                    "scopes": ["events:write"],
                    "created_at": "2026-11-26T08:00:00Z",
                    "revoked_at": None,
                }
            ]
        }
    )

    id: UUID
    name: str
    prefix: str = Field(description="The key's public part, to recognise it: `yk_<prefix>_…`")
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": EXAMPLE_ID,
                    "name": "CRM sync",
                    "prefix": "a1b2c3d4e5f6",
                    "scopes": ["events:write"],
                    "created_at": "2026-11-26T08:00:00Z",
                    "revoked_at": None,
                    "key": "yk_a1b2c3d4e5f6_Zm9vYmFy…",
                }
            ]
        }
    )

    key: str = Field(description="Send it as `X-API-Key`. Shown only now: store it safely.")
