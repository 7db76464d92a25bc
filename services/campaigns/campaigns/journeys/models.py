"""Journeys (a trigger and steps, per campaign) and each user's way through one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import USER_ID_LENGTH, Base


class Journey(Base):
    __tablename__ = "journeys"
    __table_args__ = (Index("ix_journeys_workspace_trigger", "workspace_id", "trigger_event"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    trigger_event: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[dict[str, Any]]
    steps: Mapped[list[Any]]
    # A user enters at most once per this many days (None: once ever).
    reentry_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Enrollment(Base):
    __tablename__ = "journey_enrollments"
    __table_args__ = (
        # At most once per period: the period is the trigger time's index in reentry_days units.
        UniqueConstraint("journey_id", "user_id", "period"),
        Index("ix_journey_enrollments_due", "state", "due_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    journey_id: Mapped[UUID] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    campaign_id: Mapped[UUID]
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    period: Mapped[int]
    # active (steps to run now), waiting (until due_at), done, exited, failed
    state: Mapped[str] = mapped_column(String(16))
    step_index: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime | None]
    # What the trigger said (churn reason, stage) and when each step started.
    context: Mapped[dict[str, Any]]
    outcome: Mapped[str | None] = mapped_column(String(300))
    enrolled_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Progress(Protocol):
    """What running steps reads and changes of an enrolment: a stored `Enrollment`, or a
    `NewEnrollment` not inserted yet (the trigger path inserts it once, in its final state)."""

    id: UUID
    workspace_id: UUID
    journey_id: UUID
    user_id: str
    period: int
    state: str
    step_index: int
    due_at: datetime | None
    context: dict[str, Any]
    outcome: str | None
    updated_at: datetime


@dataclass(slots=True)
class NewEnrollment:
    """An enrolment a trigger creates: a plain object (no ORM instrumentation per attribute),
    its steps run before its one INSERT."""

    workspace_id: UUID
    journey_id: UUID
    campaign_id: UUID
    user_id: str
    period: int
    context: dict[str, Any]
    enrolled_at: datetime
    updated_at: datetime
    id: UUID = field(default_factory=uuid4)
    state: str = "active"
    step_index: int = 0
    due_at: datetime | None = None
    outcome: str | None = None
