"""Content items as content-review announced them: only `approved` ones may be attached."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import Base


class ContentItem(Base):
    __tablename__ = "content_items"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    content_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int]
    state: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    # The event time of the state stored: an older transition arriving late is ignored.
    occurred_at: Mapped[datetime]
