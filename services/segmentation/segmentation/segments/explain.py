"""Why a user is or is not in a segment: every leaf's actual value and verdict, in one query.

The verdicts come from the same compiled expressions membership uses, so the explanation can
never disagree with the evaluation.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.clock import as_utc, utcnow
from segmentation.records.models import Profile
from segmentation.segments.compiler import compile_leaf, compile_rule
from segmentation.segments.fields import FIELDS, Kind
from segmentation.segments.models import SegmentMembership
from segmentation.segments.rules import FieldCondition, Leaf, leaves, parse_rule
from segmentation.segments.schemas import LeafExplanation, WhyOut
from segmentation.segments.service import load_segment
from yunying_shared.errors import NotFound


async def why(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    segment_id: UUID,
    user_id: str,
    now: datetime | None = None,
) -> WhyOut:
    segment = await load_segment(session, workspace_id=workspace_id, segment_id=segment_id)
    rule = parse_rule(segment.rule)
    now = now or utcnow()
    pairs = leaves(rule)
    compiled = [compile_leaf(leaf, now=now) for _, leaf in pairs]
    columns = [compile_rule(rule, now=now).label("matches")]
    for i, leaf in enumerate(compiled):
        columns += [leaf.value.label(f"value_{i}"), leaf.holds.label(f"holds_{i}")]
    row = (
        await session.execute(
            select(*columns).where(Profile.workspace_id == workspace_id, Profile.user_id == user_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"User {user_id!r} has no profile in this workspace.")
    entered_at = await session.scalar(
        select(SegmentMembership.entered_at).where(
            SegmentMembership.segment_id == segment.id, SegmentMembership.user_id == user_id
        )
    )
    values = row._mapping
    conditions = [
        LeafExplanation(
            path=path,
            condition=leaf.model_dump(mode="json"),
            actual=_actual(leaf, values[f"value_{i}"]),
            holds=bool(values[f"holds_{i}"]),
        )
        for i, (path, leaf) in enumerate(pairs)
    ]
    return WhyOut(
        segment_id=segment.id,
        user_id=user_id,
        matches=bool(row.matches),
        member=entered_at is not None,
        entered_at=as_utc(entered_at),
        conditions=conditions,
        evaluated_at=now,
    )


def _actual(leaf: Leaf, value: Any) -> Any:
    if isinstance(leaf, FieldCondition) and FIELDS[leaf.field].kind is Kind.IDENTITY:
        return bool(value)  # presence only: the platform id itself is personal data
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
