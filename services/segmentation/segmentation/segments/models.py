"""Saved segments and their live memberships."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Index, PrimaryKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from segmentation.db import ROW_ID, Base
from segmentation.records.models import USER_ID_LENGTH


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_segments_workspace_live", "workspace_id", "live"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    rule: Mapped[dict[str, Any]]
    # False: membership is a snapshot taken at the last save, never refreshed.
    live: Mapped[bool] = mapped_column(default=True)
    # The rule reads the clock (event windows, "within N days", tag expiry): the sweep re-runs it.
    time_dependent: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_evaluated_at: Mapped[datetime | None]


class SegmentMembership(Base):
    __tablename__ = "segment_memberships"
    # One index only, the primary key, user first: a membership change writes a row and one
    # index entry (migration 0011 dropped the (workspace, user) index; #11 session 8). A user's
    # stored memberships (the diff) are one range of it; a segment's members in user order (the
    # export's keyset pages) are the same index scanned from the page's first user, keeping
    # that segment's entries (so a sparse segment's page reads more of it).
    __table_args__ = (PrimaryKeyConstraint("user_id", "segment_id"),)

    # No foreign key on PostgreSQL (migration 0007: its check per inserted row was a sixth of
    # a million-row fill); deleting a segment deletes its memberships itself.
    segment_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    workspace_id: Mapped[UUID]
    entered_at: Mapped[datetime]


class SegmentDay(Base):
    """A segment's size at the end of a day (UTC) and how many entered and exited that day,
    kept by every membership write, so charts never count memberships."""

    __tablename__ = "segment_days"

    segment_id: Mapped[UUID] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    size: Mapped[int]
    entered: Mapped[int]
    exited: Mapped[int]


class SegmentDayChange(Base):
    """Counts one transaction added, not yet folded into `segment_days`. Writers only append
    here, so concurrent transactions changing the same segment never wait on one row; the
    sweep loop folds these rows into `segment_days`, and reads add the rows not yet folded."""

    __tablename__ = "segment_day_changes"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    segment_id: Mapped[UUID]  # no foreign key on PostgreSQL, as memberships (migration 0007)
    day: Mapped[date]
    workspace_id: Mapped[UUID]
    entered: Mapped[int]
    exited: Mapped[int]

    __table_args__ = (Index("ix_segment_day_changes_segment", "segment_id"),)
