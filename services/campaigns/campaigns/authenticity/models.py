"""What authenticity is judged from and what it found: a creator's follower counts per day,
posts (a creator's or the brand's own) with their engagement, the posts' comments, and every
check's report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import ROW_ID, Base

OWNERS = ("creator", "brand")


class FollowerCountRow(Base):
    __tablename__ = "creator_follower_counts"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    creator_id: Mapped[UUID] = mapped_column(
        ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    followers: Mapped[int]


class TrackedPost(Base):
    """A post whose engagement is judged: a creator's (creator_id set) or the brand's own."""

    __tablename__ = "tracked_posts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "post_id"),
        Index("ix_tracked_posts_creator", "workspace_id", "creator_id"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    owner: Mapped[str] = mapped_column(String(8))
    creator_id: Mapped[UUID | None] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    post_id: Mapped[str] = mapped_column(String(128))
    posted_at: Mapped[datetime]
    views: Mapped[int | None]
    likes: Mapped[int]
    comments: Mapped[int]
    shares: Mapped[int]
    followers: Mapped[int | None]
    updated_at: Mapped[datetime]


class PostComment(Base):
    __tablename__ = "tracked_post_comments"
    __table_args__ = (UniqueConstraint("post_ref", "comment_id"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    post_ref: Mapped[int] = mapped_column(
        ROW_ID, ForeignKey("tracked_posts.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[str] = mapped_column(String(128))
    author_created_at: Mapped[datetime | None]
    text: Mapped[str] = mapped_column(String(1000))
    commented_at: Mapped[datetime]


class AuthenticityReport(Base):
    __tablename__ = "authenticity_reports"
    __table_args__ = (Index("ix_authenticity_subject", "workspace_id", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    subject: Mapped[str] = mapped_column(String(8))  # creator | post
    subject_id: Mapped[str] = mapped_column(String(160))  # creator id, or platform:post_id
    score: Mapped[float]
    verdict: Mapped[str] = mapped_column(String(20))
    findings: Mapped[list[Any]]
    checked: Mapped[list[str]]
    checked_at: Mapped[datetime]
