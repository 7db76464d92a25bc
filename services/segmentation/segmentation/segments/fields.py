"""What a field condition may name: the profile columns, their kind, and the operators each
kind accepts. Only fields listed here reach SQL; the name in a rule is a key, never SQL text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from segmentation.records.models import Profile
from segmentation.records.vocabulary import CLASSES, SEGMENTS
from yunying_shared.events.payloads.segmentation import LIFECYCLE_STAGES, VALUE_TIERS


class Kind(StrEnum):
    CHOICE = "choice"  # a closed set of strings
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    TIMESTAMP = "timestamp"
    IDENTITY = "identity"  # presence of a platform id in the identities map


COMPARISONS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "between"})
OPERATORS: dict[Kind, frozenset[str]] = {
    Kind.CHOICE: frozenset({"eq", "ne", "in", "not_in", "is_set", "is_not_set"}),
    Kind.TEXT: frozenset({"eq", "ne", "in", "not_in", "is_set", "is_not_set"}),
    Kind.INTEGER: COMPARISONS | {"in", "not_in", "is_set", "is_not_set"},
    Kind.NUMBER: COMPARISONS | {"is_set", "is_not_set"},
    Kind.TIMESTAMP: frozenset({"within_days", "not_within_days", "is_set", "is_not_set"}),
    Kind.IDENTITY: frozenset({"has", "has_not"}),
}
TAG_OPERATORS = frozenset({"has", "has_not"})
EVENT_OPERATORS = COMPARISONS

PLATFORM_IDENTITIES = ("wechat_openid", "wechat_unionid", "xiaohongshu_id", "douyin_id")
SOURCES = ("organic", "referral", "campaign")


@dataclass(frozen=True)
class FieldSpec:
    kind: Kind
    column: Any
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


_SCORE: dict[str, Any] = {"minimum": 1, "maximum": 5}

FIELDS: dict[str, FieldSpec] = {
    "stage": FieldSpec(Kind.CHOICE, Profile.stage, LIFECYCLE_STAGES),
    "tier": FieldSpec(Kind.CHOICE, Profile.tier, VALUE_TIERS),
    "r_score": FieldSpec(Kind.INTEGER, Profile.r_score, **_SCORE),
    "f_score": FieldSpec(Kind.INTEGER, Profile.f_score, **_SCORE),
    "m_score": FieldSpec(Kind.INTEGER, Profile.m_score, **_SCORE),
    "rfm_class": FieldSpec(Kind.CHOICE, Profile.rfm_class, CLASSES),
    "rfm_segment": FieldSpec(Kind.CHOICE, Profile.rfm_segment, SEGMENTS),
    "gender": FieldSpec(Kind.TEXT, Profile.gender),
    "age_band": FieldSpec(Kind.TEXT, Profile.age_band),
    "region": FieldSpec(Kind.TEXT, Profile.region),
    "source": FieldSpec(Kind.CHOICE, Profile.source, SOURCES),
    "churn_reason": FieldSpec(Kind.TEXT, Profile.churn_reason),
    "identity": FieldSpec(Kind.IDENTITY, Profile.identities, PLATFORM_IDENTITIES),
    "order_count": FieldSpec(Kind.INTEGER, Profile.order_count, minimum=0),
    "refund_count": FieldSpec(Kind.INTEGER, Profile.refund_count, minimum=0),
    "monetary_total": FieldSpec(Kind.NUMBER, Profile.monetary_total),
    "first_seen_at": FieldSpec(Kind.TIMESTAMP, Profile.first_seen_at),
    "last_active_at": FieldSpec(Kind.TIMESTAMP, Profile.last_active_at),
    "last_login_at": FieldSpec(Kind.TIMESTAMP, Profile.last_login_at),
    "first_purchase_at": FieldSpec(Kind.TIMESTAMP, Profile.first_purchase_at),
    "last_purchase_at": FieldSpec(Kind.TIMESTAMP, Profile.last_purchase_at),
}
