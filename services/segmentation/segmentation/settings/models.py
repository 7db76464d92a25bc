"""Per-workspace segmentation settings: the RFM window and edges, the lifecycle rules, and the
edges the last re-score computed (kept so a score can be explained later)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Mapped, mapped_column

from segmentation.db import Base


class SegmentationSettings(Base):
    __tablename__ = "segmentation_settings"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    # None: lifetime aggregates; otherwise F and M count only purchases within the window.
    rfm_window_days: Mapped[int | None]
    # Optional fixed edges {"recency": [4 numbers], "frequency": [...], "monetary": [...]}.
    custom_edges: Mapped[dict[str, Any]] = mapped_column(default=dict)
    lifecycle_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_edges: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_scored_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
