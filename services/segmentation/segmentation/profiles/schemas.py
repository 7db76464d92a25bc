from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from segmentation.rfm.schemas import RfmExplanation
from segmentation.tags.schemas import TagOut
from yunying_shared.storable import Identifier, StorableText, json_problem

MAX_EXTRA_BYTES = 4096
IDENTITY_KEYS = (
    "wechat_openid",
    "wechat_unionid",
    "xiaohongshu_id",
    "douyin_id",
    "weibo_id",
    "bilibili_id",
    "phone_hash",
)


class ProfilePatch(BaseModel):
    """Attributes a CRM or operator may set; omitted fields stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "gender": "female",
                    "age_band": "25-34",
                    "region": "上海",
                    "extra": {"interests": ["护肤", "香氛"]},
                }
            ]
        },
    )

    gender: Literal["female", "male", "other", "unknown"] | None = None
    age_band: StorableText | None = Field(default=None, max_length=16, examples=["25-34"])
    region: StorableText | None = Field(default=None, max_length=64, examples=["上海"])
    identities: dict[Identifier, Identifier] | None = Field(
        default=None, description=f"Merged into the profile's; keys such as {IDENTITY_KEYS}"
    )
    extra: dict[str, Any] | None = Field(default=None, description="Merged; bounded in size")

    @field_validator("identities")
    @classmethod
    def _bounded_identities(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value and (
            len(value) > 20 or any(len(k) > 64 or len(v) > 128 for k, v in value.items())
        ):
            raise ValueError("at most 20 identities, keys <= 64 and values <= 128 characters")
        return value

    @field_validator("extra")
    @classmethod
    def _bounded_extra(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        problem = json_problem(value)
        if problem:
            raise ValueError(problem)
        if value and len(json.dumps(value, default=str)) > MAX_EXTRA_BYTES:
            raise ValueError(f"must serialise to at most {MAX_EXTRA_BYTES} bytes")
        return value


class StageChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    from_value: str | None
    to_value: str | None
    reason: str
    changed_at: datetime


class ProfileOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "user_id": "wx_o6a8s1Kq",
                    "gender": "female",
                    "age_band": "25-34",
                    "region": "上海",
                    "identities": {
                        "wechat_unionid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
                        "taobao": "tb_8848_lily",
                    },
                    "extra": {"interests": ["护肤", "香氛"]},
                    "first_seen_at": "2024-06-18T09:12:00+08:00",
                    "last_active_at": "2026-11-11T20:03:00+08:00",
                    "last_login_at": "2026-11-11T20:01:00+08:00",
                    "first_purchase_at": "2024-06-18T09:40:00+08:00",
                    "last_purchase_at": "2026-11-11T20:03:00+08:00",
                    "order_count": 9,
                    "refund_count": 1,
                    "monetary_total": "3280.50",
                    "source": "xiaohongshu",
                    "referred_by": None,
                    "source_campaign": "618-种草",
                    "stage": "loyal",
                    "tier": "high_value",
                    "r_score": 5,
                    "f_score": 4,
                    "m_score": 5,
                    "rfm_class": "重要价值",
                    "rfm_segment": "Champions",
                    "churn_reason": None,
                    "complaint_reasons": [],
                    "updated_at": "2026-11-11T20:03:02+08:00",
                }
            ]
        },
    )

    user_id: str
    gender: str | None
    age_band: str | None
    region: str | None
    identities: dict[str, Any]
    extra: dict[str, Any]
    first_seen_at: datetime | None
    last_active_at: datetime | None
    last_login_at: datetime | None
    first_purchase_at: datetime | None
    last_purchase_at: datetime | None
    order_count: int
    refund_count: int
    monetary_total: Decimal = Field(description="Purchases minus refunds")
    source: str = Field(description="organic, referral or campaign")
    referred_by: str | None
    source_campaign: str | None
    stage: str = Field(description="potential, new, active, loyal or churned")
    tier: str | None = Field(description="high_value, potential_high_value, general, low_value")
    r_score: int | None
    f_score: int | None
    m_score: int | None
    rfm_class: str | None = Field(description="Eight-class model, e.g. 重要价值")
    rfm_segment: str | None = Field(description="One of the 11 named segments")
    churn_reason: str | None
    complaint_reasons: list[Any]
    updated_at: datetime


class ProfileDetail(ProfileOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "wx_o6a8s1Kq",
                    "gender": "female",
                    "age_band": "25-34",
                    "region": "上海",
                    "identities": {
                        "wechat_unionid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
                        "taobao": "tb_8848_lily",
                    },
                    "extra": {"interests": ["护肤", "香氛"]},
                    "first_seen_at": "2024-06-18T09:12:00+08:00",
                    "last_active_at": "2026-11-11T20:03:00+08:00",
                    "last_login_at": "2026-11-11T20:01:00+08:00",
                    "first_purchase_at": "2024-06-18T09:40:00+08:00",
                    "last_purchase_at": "2026-11-11T20:03:00+08:00",
                    "order_count": 9,
                    "refund_count": 1,
                    "monetary_total": "3280.50",
                    "source": "xiaohongshu",
                    "referred_by": None,
                    "source_campaign": "618-种草",
                    "stage": "loyal",
                    "tier": "high_value",
                    "r_score": 5,
                    "f_score": 4,
                    "m_score": 5,
                    "rfm_class": "重要价值",
                    "rfm_segment": "Champions",
                    "churn_reason": None,
                    "complaint_reasons": [],
                    "updated_at": "2026-11-11T20:03:02+08:00",
                    "rfm": {
                        "user_id": "wx_o6a8s1Kq",
                        "scored_at": "2026-11-12T03:00:00+08:00",
                        "window_days": 365,
                        "recency": {
                            "raw": 1.0,
                            "score": 5,
                            "edges": [7.0, 30.0, 90.0, 180.0],
                            "rule": "days since last purchase; fewer scores higher",
                        },
                        "frequency": {
                            "raw": 9.0,
                            "score": 4,
                            "edges": [1.0, 2.0, 4.0, 10.0],
                            "rule": "orders in the window",
                        },
                        "monetary": {
                            "raw": 3280.5,
                            "score": 5,
                            "edges": [199.0, 599.0, 1299.0, 2999.0],
                            "rule": "amount in the window, refunds deducted",
                        },
                        "rfm_class": "重要价值",
                        "rfm_segment": "Champions",
                        "tier": "high_value",
                        "note": "",
                    },
                    "tags": [
                        {
                            "tag": "敏感肌",
                            "kind": "attribute",
                            "source": "manual",
                            "confidence": 1.0,
                            "expires_at": None,
                            "updated_at": "2026-11-02T14:00:00+08:00",
                        }
                    ],
                    "history": [
                        {
                            "kind": "stage",
                            "from_value": "active",
                            "to_value": "loyal",
                            "reason": "F>=4 and M>=4",
                            "changed_at": "2026-10-02T03:00:00+08:00",
                        }
                    ],
                }
            ]
        }
    )

    rfm: RfmExplanation
    tags: list[TagOut]
    history: list[StageChangeOut]
