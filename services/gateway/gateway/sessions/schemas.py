from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gateway.identity.schemas import NewPassword
from gateway.sessions.models import LoginSession


class SessionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f6e1c2a-8b7d-4e5f-9a0b-1c2d3e4f5a6b",
                    "created_at": "2026-11-30T08:00:00Z",
                    "last_used_at": "2026-11-30T09:45:00Z",
                    "expires_at": "2026-12-30T09:45:00Z",
                    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)",
                    "address": "10.0.0.7",
                    "current": True,
                }
            ]
        }
    )

    id: UUID
    created_at: datetime = Field(description="When the login happened")
    last_used_at: datetime = Field(description="The login or its latest token refresh")
    expires_at: datetime = Field(description="When it ends unless refreshed again")
    user_agent: str | None = Field(description="The browser or app that logged in")
    address: str | None = Field(description="The client address it logged in from")
    current: bool = Field(description="The session of the token making this request")

    @classmethod
    def of(cls, login: LoginSession, current: UUID | None) -> SessionOut:
        return cls(
            id=login.id,
            created_at=login.created_at,
            last_used_at=login.last_used_at,
            expires_at=login.expires_at,
            user_agent=login.user_agent,
            address=login.address,
            current=login.id == current,
        )


class RevokedOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"revoked": 3}]})

    revoked: int = Field(description="Sessions that were still live and are now ended")


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"current_password": "s3cret-passw0rd", "new_password": "violet-kettle-harbour"}
            ]
        }
    )

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: NewPassword
