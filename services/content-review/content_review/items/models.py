"""Content items and their revisions: an item is what goes through review, a revision is one
version of its copy and media (every edit is a new revision; review applies to one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from content_review.db import ACTOR_LENGTH, Base


class ContentItem(Base):
    __tablename__ = "content_items"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    platform: Mapped[str] = mapped_column(String(16))
    # The brand's account on the platform: the 7:3 ratio and cadence are counted per account.
    account: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # 干货, 故事, 互动 (value content) or ad
    state: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))  # the current revision's, for events
    revision: Mapped[int]  # the current revision, the one review applies to
    author_id: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    operator_checked_by: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH))
    approved_by: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH))
    planned_publish_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_content_items_workspace_state", "workspace_id", "state"),
        # The due-items job looks across workspaces by state and publish time.
        Index("ix_content_items_due", "state", "planned_publish_at"),
        Index(
            "ix_content_items_workspace_schedule", "workspace_id", "platform", "planned_publish_at"
        ),
    )

    @property
    def is_ad(self) -> bool:
        return self.kind == "ad"


class ContentRevision(Base):
    __tablename__ = "content_revisions"

    item_id: Mapped[UUID] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]]
    images: Mapped[list[dict[str, Any]]]
    videos: Mapped[list[dict[str, Any]]]
    planned_publish_at: Mapped[datetime | None]
    author_id: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    created_at: Mapped[datetime]
    # The automated scan of this revision (None until submitted).
    findings: Mapped[list[dict[str, Any]] | None]
    scanned_at: Mapped[datetime | None]

    __table_args__ = (ForeignKeyConstraint(["item_id"], ["content_items.id"], ondelete="CASCADE"),)
