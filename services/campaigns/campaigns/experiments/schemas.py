from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yunying_shared.storable import (
    Identifier,
    StorableDatetime,
    StorableJsonObject,
    StorableText,
)

Element = Literal["title", "format", "push_time", "reward", "other"]
ArmKey = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-\u4e00-\u9fff]+$")
MAX_BATCH = 1000


class VariantIn(BaseModel):
    key: str = ArmKey
    weight: float = Field(default=1.0, gt=0, le=1_000_000)
    control: bool = False
    config: StorableJsonObject = Field(
        default_factory=dict,
        description="What this arm changes, e.g. {'title': ...}, {'format': '视频'}, "
        "{'push_time': '20:00'}, {'reward_template_id': ...}",
    )


class ExperimentIn(BaseModel):
    name: StorableText = Field(min_length=1, max_length=200)
    campaign_id: UUID | None = None
    element: Element
    variants: list[VariantIn] = Field(min_length=2, max_length=20)
    holdout_percent: float = Field(
        default=0, ge=0, le=50, description="Share of users who receive nothing (incrementality)"
    )
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    sequential: bool = Field(
        default=True,
        description="mSPRT always-valid p-values: the decision may be taken at any look. "
        "Without it, a decision waits for planned_exposures_per_arm.",
    )
    tuning_exposures: int = Field(default=5000, ge=100, le=100_000_000)
    planned_exposures_per_arm: int | None = Field(default=None, ge=10, le=100_000_000)
    min_chance_to_beat: float = Field(default=0.95, ge=0.5, lt=1)
    conversion_kind: str = Field(default="purchase", min_length=1, max_length=64)

    @field_validator("variants")
    @classmethod
    def _one_control_unique_keys(cls, variants: list[VariantIn]) -> list[VariantIn]:
        keys = [v.key for v in variants]
        if len(set(keys)) != len(keys):
            raise ValueError("variant keys must be unique")
        if "holdout" in keys:
            raise ValueError("'holdout' is reserved for the holdout group")
        if sum(v.control for v in variants) != 1:
            raise ValueError("exactly one variant must be the control")
        return variants

    @model_validator(mode="after")
    def _fixed_horizon_needs_a_size(self) -> ExperimentIn:
        if not self.sequential and self.planned_exposures_per_arm is None:
            raise ValueError("planned_exposures_per_arm is required when sequential is false")
        return self


class ExperimentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    campaign_id: UUID | None
    name: str
    element: str
    status: str = Field(description="draft, running or concluded")
    variants: list[dict[str, Any]]
    holdout_percent: float
    alpha: float
    sequential: bool
    tuning_exposures: int
    planned_exposures_per_arm: int | None
    min_chance_to_beat: float
    conversion_kind: str
    winner: str | None
    decision: str | None
    created_at: datetime
    started_at: datetime | None
    concluded_at: datetime | None


class Assignment(BaseModel):
    user_id: str
    arm: str
    bucket: int = Field(description="0..9999, from sha256(experiment id:user id)")


class ExposureIn(BaseModel):
    user_id: Identifier = Field(min_length=1, max_length=128)
    platform: Identifier | None = Field(default=None, max_length=32)
    occurred_at: StorableDatetime | None = None


class ConversionIn(BaseModel):
    user_id: Identifier = Field(min_length=1, max_length=128)
    event_id: Identifier | None = Field(default=None, max_length=128)
    value: Decimal | None = Field(default=None, ge=0, le=Decimal("1e12"))
    occurred_at: StorableDatetime | None = None


class ItemResult(BaseModel):
    index: int
    user_id: str | None
    status: Literal["recorded", "duplicate", "rejected"]
    arm: str | None = None
    errors: list[dict[str, str]] = Field(default_factory=list)


class BatchResult(BaseModel):
    recorded: int
    duplicates: int
    rejected: int
    results: list[ItemResult]


class ArmResult(BaseModel):
    arm: str
    control: bool
    holdout: bool
    exposures: int
    conversions: int
    conversion_rate: float
    conversion_interval: tuple[float, float]
    expected_share: float
    lift: float | None = Field(description="Absolute: rate minus control rate")
    lift_interval: tuple[float, float] | None
    relative_lift: float | None
    relative_lift_interval: tuple[float, float] | None
    z: float | None
    p_value: float | None = Field(description="Fixed-horizon two-sided z-test against control")
    sequential_p_value: float | None = Field(description="mSPRT always-valid p-value")
    sequential_interval: tuple[float, float] | None
    adjusted_p_value: float | None = Field(
        description="Holm-adjusted across the variants (of the sequential p when sequential)"
    )
    chance_to_beat_control: float | None


class SampleRatio(BaseModel):
    statistic: float
    p_value: float
    mismatch: bool = Field(description="True when p < 0.001: the results cannot be trusted")


class ExperimentResults(BaseModel):
    experiment_id: UUID
    status: str
    arms: list[ArmResult]
    sample_ratio: SampleRatio
    recommendation: str = Field(description="ship, keep_control, continue or invalid")
    winner: str | None
    decision: str
    decision_rule: str
