"""Experiments, who was exposed to which arm, and who converted."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.db import ROW_ID, USER_ID_LENGTH, Base

ARM_LENGTH = 64


class Experiment(Base):
    __tablename__ = "experiments"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_experiments_workspace_status", "workspace_id", "status"),
        Index("ix_experiments_campaign", "workspace_id", "campaign_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    workspace_id: Mapped[UUID]
    campaign_id: Mapped[UUID | None]
    name: Mapped[str] = mapped_column(String(200))
    # title, format (图文 vs 视频), push_time, reward, other
    element: Mapped[str] = mapped_column(String(16))
    # draft, running, concluded
    status: Mapped[str] = mapped_column(String(16))
    # [{"key", "weight", "control", "config"}]: fixed once the experiment runs, so the
    # hash-based assignment of every user stays the same (sticky).
    variants: Mapped[list[Any]]
    holdout_percent: Mapped[float]
    alpha: Mapped[float]
    sequential: Mapped[bool]
    tuning_exposures: Mapped[int]
    planned_exposures_per_arm: Mapped[int | None]
    min_chance_to_beat: Mapped[float]
    conversion_kind: Mapped[str] = mapped_column(String(64))
    winner: Mapped[str | None] = mapped_column(String(ARM_LENGTH))
    decision: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    concluded_at: Mapped[datetime | None]


class ExperimentExposure(Base):
    """A user's first exposure; its arm is the one the hash gave, recorded so it never moves."""

    __tablename__ = "experiment_exposures"
    __table_args__ = (
        UniqueConstraint("experiment_id", "user_id"),
        Index("ix_experiment_exposures_workspace_user", "workspace_id", "user_id"),
        Index("ix_experiment_exposures_experiment_arm", "experiment_id", "arm"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    experiment_id: Mapped[UUID] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    arm: Mapped[str] = mapped_column(String(ARM_LENGTH))
    platform: Mapped[str | None] = mapped_column(String(32))
    exposed_at: Mapped[datetime]


class ExperimentConversion(Base):
    """A user's first conversion after exposure (the metric is binary per user)."""

    __tablename__ = "experiment_conversions"
    __table_args__ = (
        UniqueConstraint("experiment_id", "user_id"),
        Index("ix_experiment_conversions_experiment_arm", "experiment_id", "arm"),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[UUID]
    experiment_id: Mapped[UUID] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    arm: Mapped[str] = mapped_column(String(ARM_LENGTH))
    event_id: Mapped[str | None] = mapped_column(String(128))
    value: Mapped[Decimal | None]
    converted_at: Mapped[datetime]
