from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from segmentation.lifecycle.rules import LifecycleRules


class CustomEdges(BaseModel):
    """Fixed RFM edges (4 ascending numbers each) instead of the workspace's quantiles."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    recency: list[float] | None = Field(default=None, description="Days since last purchase")
    frequency: list[float] | None = Field(default=None, description="Orders in the window")
    monetary: list[float] | None = Field(default=None, description="Net spend in the window")

    @field_validator("recency", "frequency", "monetary")
    @classmethod
    def _four_ascending(cls, edges: list[float] | None) -> list[float] | None:
        if edges is not None and (len(edges) != 4 or edges != sorted(edges)):
            raise ValueError("needs 4 edges in ascending order")
        return edges


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rfm_window_days: int | None = Field(
        default=None, ge=1, le=3650, description="None: lifetime; else F and M use this window"
    )
    custom_edges: CustomEdges = Field(default_factory=CustomEdges)
    lifecycle_rules: LifecycleRules = Field(default_factory=LifecycleRules)


class SettingsOut(SettingsIn):
    last_edges: dict[str, list[float]] = Field(default_factory=dict)
