from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yunying_shared.http.batch import FieldError
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "双11 推送标题 A/B",
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "element": "title",
                    "variants": [
                        {
                            "key": "control",
                            "weight": 1,
                            "control": True,
                            "config": {"title": "双11 限定礼盒今晚开抢"},
                        },
                        {
                            "key": "urgency",
                            "weight": 1,
                            "control": False,
                            "config": {"title": "仅剩 3 小时！双11 限定礼盒"},
                        },
                    ],
                    "holdout_percent": 10,
                    "conversion_kind": "purchase",
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "campaign_id": "8f3e2d1c-6b5a-4c9e-8d7f-1a2b3c4d5e6f",
                    "name": "双11 推送标题 A/B",
                    "element": "title",
                    "status": "running",
                    "variants": [
                        {
                            "key": "control",
                            "weight": 1,
                            "control": True,
                            "config": {"title": "双11 限定礼盒今晚开抢"},
                        },
                        {
                            "key": "urgency",
                            "weight": 1,
                            "control": False,
                            "config": {"title": "仅剩 3 小时！双11 限定礼盒"},
                        },
                    ],
                    "holdout_percent": 10.0,
                    "alpha": 0.05,
                    "sequential": True,
                    "tuning_exposures": 5000,
                    "planned_exposures_per_arm": None,
                    "min_chance_to_beat": 0.95,
                    "conversion_kind": "purchase",
                    "winner": None,
                    "decision": None,
                    "created_at": "2026-11-01T09:00:00+08:00",
                    "started_at": "2026-11-01T10:00:00+08:00",
                    "concluded_at": None,
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"user_id": "wx_o6a8s1Kq", "arm": "urgency", "bucket": 7342}]
        }
    )

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


BATCH_DESCRIPTION = (
    f"Up to {MAX_BATCH} items, each judged alone: a bad one is rejected naming its field, the "
    "rest are recorded."
)


class ExposureBatchIn(BaseModel):
    """Exposures to record, each shaped like `ExposureIn` (validated one by one)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"user_id": "wx_o6a8s1Kq", "platform": "wechat"},
                        {
                            "user_id": "dy_71203384",
                            "platform": "douyin",
                            "occurred_at": "2026-11-11T20:00:05+08:00",
                        },
                    ]
                }
            ]
        }
    )

    items: list[Any] = Field(max_length=MAX_BATCH, description=BATCH_DESCRIPTION)


class ConversionBatchIn(BaseModel):
    """Conversions to record, each shaped like `ConversionIn` (validated one by one)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "user_id": "wx_o6a8s1Kq",
                            "event_id": "crm-20261111-000123",
                            "value": "299.00",
                            "occurred_at": "2026-11-11T20:03:00+08:00",
                        }
                    ]
                }
            ]
        }
    )

    items: list[Any] = Field(max_length=MAX_BATCH, description=BATCH_DESCRIPTION)


class ItemResult(BaseModel):
    index: int
    user_id: str | None
    status: Literal["recorded", "duplicate", "rejected"]
    arm: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class BatchResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recorded": 2,
                    "duplicates": 0,
                    "rejected": 1,
                    "results": [
                        {
                            "index": 0,
                            "user_id": "wx_o6a8s1Kq",
                            "status": "recorded",
                            "arm": "urgency",
                            "errors": [],
                        },
                        {
                            "index": 1,
                            "user_id": "wx_o9Zk3Tt",
                            "status": "recorded",
                            "arm": "control",
                            "errors": [],
                        },
                        {
                            "index": 2,
                            "user_id": None,
                            "status": "rejected",
                            "arm": None,
                            "errors": [{"field": "user_id", "message": "Field required"}],
                        },
                    ],
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "experiment_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "status": "running",
                    "arms": [
                        {
                            "arm": "control",
                            "control": True,
                            "holdout": False,
                            "exposures": 18104,
                            "conversions": 759,
                            "conversion_rate": 0.0419,
                            "conversion_interval": [0.039, 0.0449],
                            "expected_share": 0.45,
                            "lift": None,
                            "lift_interval": None,
                            "relative_lift": None,
                            "relative_lift_interval": None,
                            "z": None,
                            "p_value": None,
                            "sequential_p_value": None,
                            "sequential_interval": None,
                            "adjusted_p_value": None,
                            "chance_to_beat_control": None,
                        },
                        {
                            "arm": "urgency",
                            "control": False,
                            "holdout": False,
                            "exposures": 18230,
                            "conversions": 912,
                            "conversion_rate": 0.05,
                            "conversion_interval": [0.0469, 0.0533],
                            "expected_share": 0.45,
                            "lift": 0.0081,
                            "lift_interval": [0.0035, 0.0127],
                            "relative_lift": 0.193,
                            "relative_lift_interval": [0.08, 0.31],
                            "z": 3.45,
                            "p_value": 0.0006,
                            "sequential_p_value": 0.004,
                            "sequential_interval": [0.002, 0.014],
                            "adjusted_p_value": 0.004,
                            "chance_to_beat_control": 0.998,
                        },
                    ],
                    "sample_ratio": {"statistic": 0.44, "p_value": 0.8, "mismatch": False},
                    "recommendation": "ship",
                    "winner": "urgency",
                    "decision": "urgency beats control: lift +0.0081, adjusted p 0.004, "
                    "chance to beat control 0.998.",
                    "decision_rule": "invalid when the sample-ratio check fails (p < 0.001); "
                    "each variant against control by the mSPRT always-valid p-value, "
                    "Holm-adjusted; a variant "
                    "ships when adjusted p < 0.05, lift > 0 and chance to beat control >= 0.95; "
                    "else control is kept when every variant is significantly worse or the "
                    "planned size is reached.",
                }
            ]
        }
    )

    experiment_id: UUID
    status: str
    arms: list[ArmResult]
    sample_ratio: SampleRatio
    recommendation: str = Field(description="ship, keep_control, continue or invalid")
    winner: str | None
    decision: str
    decision_rule: str
