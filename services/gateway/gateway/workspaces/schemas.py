from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from yunying_shared.auth import Role

Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"),
    Field(description="Unique, lowercase letters, digits and single hyphens", examples=["brand-a"]),
]


class WorkspaceIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Brand A – Tmall store", "slug": "brand-a"}]}
    )

    name: str = Field(
        min_length=1, max_length=200, description="Display name", examples=["Brand A – Tmall store"]
    )
    slug: Slug


class WorkspaceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b0e7c1e-6f7a-4d2b-9a51-2f1d7c1e2a3b",
                    "name": "Brand A",
                    "slug": "brand-a",
                    "created_at": "2026-11-26T08:00:00Z",
                    "role": "admin",
                }
            ]
        }
    )

    id: UUID
    name: str
    slug: str
    created_at: datetime
    role: Role = Field(description="The caller's role in this workspace")


class ServicePropagation(BaseModel):
    service: str = Field(examples=["segmentation"])
    recorded: bool = Field(description="The service has received `workspace.created`")
    recorded_at: datetime | None = None
    detail: str | None = Field(
        default=None, description="Why the answer is unknown, if it is", examples=["unreachable"]
    )

    @field_validator("recorded_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        # Services on SQLite report naive timestamps; every timestamp they write is UTC.
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


class PropagationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workspace_id": "0b0e7c1e-6f7a-4d2b-9a51-2f1d7c1e2a3b",
                    "complete": False,
                    "services": [
                        {
                            "service": "gateway",
                            "recorded": True,
                            "recorded_at": "2026-11-26T08:00:01Z",
                        },
                        {"service": "segmentation", "recorded": False, "recorded_at": None},
                    ],
                }
            ]
        }
    )

    workspace_id: UUID
    complete: bool = Field(description="Every service has recorded the workspace")
    services: list[ServicePropagation]
