from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gateway.identity.schemas import Email, NewPassword
from yunying_shared.auth import Role


class MemberIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "reviewer@brand.example",
                    "password": "first-login-passw0rd",
                    "role": "reviewer",
                },
                {"email": "existing.user@brand.example", "role": "analyst"},
            ]
        }
    )

    email: Email
    password: NewPassword | None = Field(
        default=None, description="Needed only when no user has this email yet: one is created"
    )
    role: Role = Field(description="The member's role in this workspace", examples=["operator"])


class MemberPatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "operator"}]})

    role: Role = Field(description="The new role")


class MemberOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "6c1f0a52-8f0e-4a59-9d0c-3c2b1a0f9e8d",
                    "email": "reviewer@brand.example",
                    "role": "reviewer",
                    "joined_at": "2026-11-26T08:00:00Z",
                }
            ]
        }
    )

    user_id: UUID
    email: str
    role: Role
    joined_at: datetime
