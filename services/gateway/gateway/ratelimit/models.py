"""Rate-limit sizes set through the API (`/v1/workspaces/{id}/rate-limits` and an API key's
`/rate-limit`). They override the deployment's settings; each replica reads them into its
limiter's table every `rate_limit_refresh_seconds` (gateway.ratelimit.stored), never per request."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, utcnow
from yunying_shared.db import UTCDateTime


class WorkspaceRateLimit(Base):
    """A workspace's size for one kind of bucket (`api_key` or `user`): every key or user of
    the workspace still has a bucket of its own, of this size."""

    __tablename__ = "workspace_rate_limits"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenant_workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    per_second: Mapped[float] = mapped_column(Float)
    burst: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class ApiKeyRateLimit(Base):
    """One API key's own size, ahead of its workspace's."""

    __tablename__ = "api_key_rate_limits"

    api_key_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
    )
    per_second: Mapped[float] = mapped_column(Float)
    burst: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
