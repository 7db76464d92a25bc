from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gateway.audit.models import AuditEntry
from gateway.audit.record import ACTIONS


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5d1c2a8e-3b4f-4c6d-9e0f-1a2b3c4d5e6f",
                    "occurred_at": "2026-11-30T08:00:00Z",
                    "workspace_id": "0b0e7c1e-6f7a-4d2b-9a51-2f1d7c1e2a3b",
                    "actor_id": "6c1f0a52-8f0e-4a59-9d0c-3c2b1a0f9e8d",
                    "actor_email": "admin@brand.example",
                    "action": "member.role_changed",
                    "outcome": "success",
                    "target_type": "user",
                    "target_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                    "address": "10.0.0.7",
                    "correlation_id": "req-4f2a",
                    "detail": {"from": "analyst", "to": "operator"},
                }
            ]
        }
    )

    id: UUID
    occurred_at: datetime
    workspace_id: UUID | None = Field(description="None for login attempts")
    actor_id: UUID | None = Field(description="The acting user; None for an unknown email")
    actor_email: str | None
    action: str = Field(description=f"One of: {', '.join(ACTIONS)}")
    outcome: Literal["success", "failure"]
    target_type: str | None = Field(
        description="user, api_key, workspace, session, throttle; for `setting.changed` the "
        "service keeping the setting"
    )
    target_id: str | None = Field(
        description="For `setting.changed` the operation, e.g. `PUT /v1/segmentation/settings`"
    )
    address: str | None = Field(description="The client's IP address")
    correlation_id: str | None = Field(description="The request's correlation id")
    detail: dict[str, Any] = Field(description="What changed (roles, scopes, the reason)")

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls.model_validate(entry, from_attributes=True)
