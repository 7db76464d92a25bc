"""Stored mentions and the hourly counts the spike detector reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sentiment_alert.db import ROW_ID, Base


class Mention(Base):
    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "platform_id"),
        Index("ix_mentions_workspace_posted", "workspace_id", "posted_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    platform: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(128))
    author: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))
    posted_at: Mapped[datetime]
    likes: Mapped[int]
    comments: Mapped[int]
    shares: Mapped[int]
    user_id: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(3))
    score: Mapped[float] = mapped_column(Float)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    terms: Mapped[list[Any]] = mapped_column(default=list)
    received_at: Mapped[datetime]


class KeywordBucket(Base):
    """Per (workspace, keyword, hour): mentions, negative mentions, distinct authors and
    distinct authors of negative mentions. Folded in bulk by each ingested batch."""

    __tablename__ = "keyword_buckets"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(primary_key=True)
    mentions: Mapped[int] = mapped_column(default=0)
    negative: Mapped[int] = mapped_column(default=0)
    authors: Mapped[int] = mapped_column(default=0)
    negative_authors: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]


class BucketAuthor(Base):
    """Who wrote in a bucket (`negative` false) and who wrote negatively (`negative` true): a
    new row is a new distinct author, so counts grow by the rows an insert adds."""

    __tablename__ = "bucket_authors"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(primary_key=True)
    negative: Mapped[bool] = mapped_column(primary_key=True)
    author: Mapped[str] = mapped_column(String(128), primary_key=True)


class PendingIncrement(Base):
    """A batch's bucket counts waiting to be folded: written by a batch that found another
    transaction folding the workspace's buckets (it does not wait for it); deleted by whoever
    folds it, in the same transaction as the fold, so each is counted exactly once."""

    __tablename__ = "pending_increments"
    __table_args__ = (Index("ix_pending_increments_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    workspace_id: Mapped[UUID]
    # {"counts": [[keyword, bucket start (ISO 8601), mentions, negative, new authors, new
    # negative authors]]}: the batch recorded its authors itself.
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
