from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from gateway.identity.password_policy import MAX_LENGTH, MIN_LENGTH, POLICY, check_new_password
from yunying_shared.auth import Role

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+$",
    ),
    Field(
        description="Email address; compared case-insensitively",
        examples=["operator@brand.example"],
    ),
]
NewPassword = Annotated[
    str,
    Field(
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description=POLICY,
        examples=["correct-horse-battery"],
    ),
    AfterValidator(check_new_password),
]


class LoginIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "admin@yunying.local", "password": "s3cret-passw0rd"}]
        }
    )

    email: Email
    password: str = Field(min_length=1, max_length=1024, description="The user's password")


class RefreshIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": "hT3q0f2nW1m…"}]})

    refresh_token: str = Field(
        min_length=1, max_length=200, description="The refresh token from login or the last refresh"
    )


class TokenPair(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIs…",
                    "refresh_token": "hT3q0f2nW1m…",
                    "token_type": "bearer",
                    "expires_in": 900,
                }
            ]
        }
    )

    access_token: str = Field(description="JWT for `Authorization: Bearer …`")
    refresh_token: str = Field(description="Single use: exchange it at /v1/auth/refresh")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class MembershipOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workspace_id": "0b0e7c1e-6f7a-4d2b-9a51-2f1d7c1e2a3b",
                    "workspace_name": "Demo",
                    "workspace_slug": "demo",
                    "role": "admin",
                }
            ]
        }
    )

    workspace_id: UUID
    workspace_name: str
    workspace_slug: str
    role: Role


class MeOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6c1f0a52-8f0e-4a59-9d0c-3c2b1a0f9e8d",
                    "email": "admin@yunying.local",
                    "is_superuser": True,
                    "created_at": "2026-11-26T08:00:00Z",
                    "memberships": [],
                }
            ]
        }
    )

    id: UUID
    email: str
    is_superuser: bool
    created_at: datetime
    memberships: list[MembershipOut] = Field(description="Workspaces the user belongs to")


class ThrottleClearIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "operator@brand.example"}, {"address": "10.0.0.7"}]
        }
    )

    email: Email | None = None
    address: str | None = Field(
        default=None, min_length=1, max_length=100, description="Client IP address"
    )

    @model_validator(mode="after")
    def _one_of_them(self) -> ThrottleClearIn:
        if self.email is None and self.address is None:
            raise ValueError("give `email`, `address` or both")
        return self


class ThrottleClearOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"cleared": 2}]})

    cleared: int = Field(description="Locks and failure counts removed")
