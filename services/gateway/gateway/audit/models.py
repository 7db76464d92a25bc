from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base
from yunying_shared.db import UTCDateTime


class AuditEntry(Base):
    """One admin action or login attempt. Written once, in the transaction of the action it
    records (with its `audit.recorded` event in the outbox); no route changes or deletes it."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_workspace_time", "workspace_id", "occurred_at", "id"),
        Index("ix_audit_entries_actor_time", "actor_id", "occurred_at"),
        Index("ix_audit_entries_time", "occurred_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None for a login attempt: it belongs to the person, not to one workspace.
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # The user who acted (None: a login attempt for an unknown email).
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # success, failure
    target_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    address: Mapped[str | None] = mapped_column(String(100), nullable=True)
    correlation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
