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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rfm_window_days": 365,
                    "custom_edges": {
                        "recency": [7.0, 30.0, 90.0, 180.0],
                        "frequency": [1.0, 2.0, 4.0, 10.0],
                        "monetary": [199.0, 599.0, 1299.0, 2999.0],
                    },
                    "lifecycle_rules": {
                        "new_days": 30,
                        "churn_purchase_days": 180,
                        "churn_active_days": 60,
                        "loyal_min_f": 4,
                        "loyal_min_m": 4,
                        "history_after_hours": 24,
                    },
                }
            ]
        },
    )

    rfm_window_days: int | None = Field(
        default=None, ge=1, le=3650, description="None: lifetime; else F and M use this window"
    )
    custom_edges: CustomEdges = Field(default_factory=CustomEdges)
    lifecycle_rules: LifecycleRules = Field(default_factory=LifecycleRules)


class SettingsOut(SettingsIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rfm_window_days": 365,
                    "custom_edges": {
                        "recency": [7.0, 30.0, 90.0, 180.0],
                        "frequency": [1.0, 2.0, 4.0, 10.0],
                        "monetary": [199.0, 599.0, 1299.0, 2999.0],
                    },
                    "lifecycle_rules": {
                        "new_days": 30,
                        "churn_purchase_days": 180,
                        "churn_active_days": 60,
                        "loyal_min_f": 4,
                        "loyal_min_m": 4,
                        "history_after_hours": 24,
                    },
                    "last_edges": {
                        "recency": [7.0, 30.0, 90.0, 180.0],
                        "frequency": [1.0, 2.0, 4.0, 10.0],
                        "monetary": [199.0, 599.0, 1299.0, 2999.0],
                    },
                }
            ]
        }
    )

    last_edges: dict[str, list[float]] = Field(default_factory=dict)
