from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base
from yunying_shared.db import UTCDateTime


class LoginSession(Base):
    """One login on one device: its id is the family id of the refresh tokens rotated from it,
    and the `sid` claim of every access token it issued. Revoking it ends both at once."""

    __tablename__ = "login_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The latest refresh token's expiry: after it, the session cannot be continued.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    address: Mapped[str | None] = mapped_column(String(100), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # logout, revoked, admin, password_changed, reuse
    revoked_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
