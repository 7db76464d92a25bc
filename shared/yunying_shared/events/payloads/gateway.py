from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class WorkspaceCreated(BaseModel):
    workspace_id: UUID
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=1, max_length=64)
    created_at: datetime


AUDIT_OUTCOMES = ("success", "failure")


class AuditRecorded(BaseModel):
    """One entry of the gateway's audit log: an admin action or a login attempt."""

    entry_id: UUID
    occurred_at: datetime
    workspace_id: UUID | None = Field(description="None for login attempts")
    actor_id: UUID | None = Field(description="The acting user; None for an unknown email")
    actor_email: str | None = Field(default=None, max_length=320)
    action: str = Field(
        max_length=64,
        description="auth.login, auth.password_changed, workspace.created, member.added, "
        "member.role_changed, member.removed, api_key.created, api_key.revoked, "
        "login_throttle.cleared, session.revoked, member.sessions_revoked, rate_limit.set, "
        "rate_limit.cleared, setting.changed",
    )
    outcome: str = Field(description="success or failure")
    target_type: str | None = Field(default=None, max_length=32)
    target_id: str | None = Field(default=None, max_length=128)
    address: str | None = Field(default=None, max_length=100, description="Client IP address")
    detail: dict[str, str | int | bool | None] = Field(default_factory=dict)
