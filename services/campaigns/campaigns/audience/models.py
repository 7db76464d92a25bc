"""What campaigns knows about users and segments, mirrored from segmentation's events: enough
to check a campaign's target and a journey's conditions without calling segmentation."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import ROW_ID, USER_ID_LENGTH, Base


class KnownSegment(Base):
    """A segment segmentation announced (created/updated); deleted ones are removed."""

    __tablename__ = "known_segments"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    segment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]


class SegmentMember(Base):
    __tablename__ = "segment_members"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    segment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH), primary_key=True)


class UserState(Base):
    """A user's last known lifecycle stage, value tier and churn reason."""

    __tablename__ = "user_states"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH), primary_key=True)
    stage: Mapped[str | None] = mapped_column(String(32))
    tier: Mapped[str | None] = mapped_column(String(32))
    churn_reason: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class UserActivity(Base):
    """Accepted CRM events (purchase, share, ...): what a journey's condition asks about."""

    __tablename__ = "user_activity"
    __table_args__ = (
        UniqueConstraint("workspace_id", "event_id"),
        Index("ix_user_activity_lookup", "workspace_id", "user_id", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    event_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]


class UserTraits(Base):
    """A user's audience attributes as segmentation last published them
    (`user.profile_updated`): what a segment's make-up is counted from."""

    __tablename__ = "user_traits"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH), primary_key=True)
    gender: Mapped[str | None] = mapped_column(String(16))
    age_band: Mapped[str | None] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class UserInterest(Base):
    """A user's interests, one row each, weighted 1/n for a user with n of them: a segment's
    interest shares are one GROUP BY."""

    __tablename__ = "user_interests"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH), primary_key=True)
    interest: Mapped[str] = mapped_column(String(32), primary_key=True)
    weight: Mapped[float]
