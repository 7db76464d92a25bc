"""Collaborations: a creator's part in a campaign, from proposal to publication.

Approval judges the creator's authenticity in the same transaction (from the series and
comments stored for it): a suspicious creator is a 409 saying why, and nothing is approved.
Content must be content-review's approved ad item for the same platform: reviewed as an ad,
it carried the ad disclosure the platforms require (content-review blocks an ad without one).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.authenticity.service import check_creator
from campaigns.campaign_lookup import require_campaign
from campaigns.clock import as_utc, utcnow
from campaigns.collaborations.models import Collaboration, CreatorConversion
from campaigns.collaborations.schemas import (
    CollaborationIn,
    CreatorResult,
    MetricsIn,
    ResultsOut,
)
from campaigns.content.models import ContentItem
from campaigns.coupons.codes import new_code, normalised
from campaigns.creators.models import Creator
from campaigns.creators.service import get_creator
from campaigns.errors import naming
from yunying_shared.db import sql_dialect
from yunying_shared.errors import Conflict, InvalidInput, NotFound
from yunying_shared.events.payloads.segmentation import UserEventAccepted

# content-review names WeChat Channels' posts by the app.
CONTENT_PLATFORM = {"wechat_channels": "wechat"}
USABLE_CONTENT = ("approved", "scheduled", "published")
CONVERSION_KINDS = ("purchase", "registered", "referral_signup")
TRACKING_PARAMETER = "yy_c"
CENTS = Decimal("0.01")


async def create(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    campaign_id: UUID,
    data: CollaborationIn,
    link_base: str,
) -> Collaboration:
    await require_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    creator = await session.get(Creator, data.creator_id)
    if creator is None or creator.workspace_id != workspace_id:
        raise naming(InvalidInput, "body.creator_id", f"No creator {data.creator_id} here.")
    if not any(a["platform"] == data.platform for a in creator.accounts):
        raise naming(
            InvalidInput, "body.platform", f"{creator.name} has no {data.platform} account."
        )
    fee = data.fee
    if fee is None:
        offered = [
            Decimal(str(p["price"]))
            for p in creator.prices
            if p["platform"] == data.platform and p["deliverable"] == data.deliverable
        ]
        if not offered:
            raise naming(
                InvalidInput,
                "body.fee",
                f"{creator.name} lists no {data.deliverable} price on {data.platform}; "
                "give the agreed fee.",
            )
        fee = min(offered)
    fee = fee.quantize(CENTS)
    taken = await session.scalar(
        select(Collaboration.id).where(
            Collaboration.workspace_id == workspace_id,
            Collaboration.campaign_id == campaign_id,
            Collaboration.creator_id == creator.id,
            Collaboration.platform == data.platform,
        )
    )
    if taken is not None:
        raise naming(
            Conflict,
            "body.creator_id",
            f"{creator.name} already has a {data.platform} collaboration in this campaign.",
            collaboration_id=str(taken),
        )
    now = utcnow()
    code = new_code()
    collaboration = Collaboration(
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        creator_id=creator.id,
        platform=data.platform,
        deliverable=data.deliverable,
        brief=data.brief,
        fee=fee,
        publish_at=data.publish_at,
        state="proposed",
        code=code,
        tracking_link=f"{link_base}?{TRACKING_PARAMETER}={code}",
        content_id=None,
        approval=None,
        exposure=0,
        engagement=0,
        created_at=now,
        updated_at=now,
    )
    session.add(collaboration)
    await session.flush()
    return collaboration


async def get(
    session: AsyncSession, *, workspace_id: UUID, collaboration_id: UUID
) -> Collaboration:
    found = await session.get(Collaboration, collaboration_id, with_for_update=True)
    if found is None or found.workspace_id != workspace_id:
        raise naming(
            NotFound, "collaboration_id", f"No collaboration {collaboration_id} in this workspace."
        )
    return found


async def list_for_campaign(
    session: AsyncSession, *, workspace_id: UUID, campaign_id: UUID
) -> list[Collaboration]:
    await require_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id)
    rows = await session.scalars(
        select(Collaboration)
        .where(Collaboration.workspace_id == workspace_id, Collaboration.campaign_id == campaign_id)
        .order_by(Collaboration.created_at, Collaboration.id)
    )
    return list(rows)


def _require_state(collaboration: Collaboration, action: str, *states: str) -> None:
    if collaboration.state not in states:
        raise naming(
            Conflict,
            "state",
            f"Cannot {action} a {collaboration.state} collaboration (only {', '.join(states)}).",
            state=collaboration.state,
        )


async def approve(
    session: AsyncSession, *, workspace_id: UUID, collaboration_id: UUID
) -> Collaboration:
    collaboration = await get(session, workspace_id=workspace_id, collaboration_id=collaboration_id)
    _require_state(collaboration, "approve", "proposed")
    creator = await get_creator(
        session, workspace_id=workspace_id, creator_id=collaboration.creator_id
    )
    report = await check_creator(session, workspace_id=workspace_id, creator=creator)
    if report.verdict == "insufficient_data":
        raise naming(
            Conflict,
            "creator_id",
            f"{creator.name}'s authenticity cannot be judged: record its follower counts and "
            "posts first (PUT /v1/creators/{id}/followers, POST /v1/creators/{id}/posts).",
            verdict=report.verdict,
        )
    if report.verdict == "suspicious":
        reasons = "; ".join(f["message"] for f in report.findings)
        raise naming(
            Conflict,
            "creator_id",
            f"{creator.name}'s engagement looks inauthentic (score {report.score:.0f}/100): "
            f"{reasons}.",
            verdict=report.verdict,
            score=report.score,
            findings=report.findings,
        )
    collaboration.state = "approved"
    collaboration.approval = {
        "score": report.score,
        "verdict": report.verdict,
        "report_id": report.id,
        "checked_at": report.checked_at.isoformat(),
    }
    collaboration.updated_at = utcnow()
    await session.flush()
    return collaboration


async def attach_content(
    session: AsyncSession, *, workspace_id: UUID, collaboration_id: UUID, content_id: str
) -> Collaboration:
    collaboration = await get(session, workspace_id=workspace_id, collaboration_id=collaboration_id)
    _require_state(collaboration, "attach content to", "proposed", "approved")
    item = await session.get(ContentItem, (workspace_id, content_id))
    field = "body.content_id"
    if item is None:
        raise naming(InvalidInput, field, f"No content item {content_id!r} known to campaigns.")
    if item.kind != "ad":
        raise naming(
            InvalidInput,
            field,
            f"Content {content_id!r} was reviewed as value content: a paid collaboration must "
            "be reviewed as an ad (kind `ad`), where content-review requires the ad disclosure.",
        )
    if item.state not in USABLE_CONTENT:
        raise naming(
            InvalidInput,
            field,
            f"Content {content_id!r} is {item.state}: only content approved by both review "
            "stages may be attached.",
            content_state=item.state,
        )
    expected = CONTENT_PLATFORM.get(collaboration.platform, collaboration.platform)
    if item.platform != expected:
        raise naming(
            InvalidInput,
            field,
            f"Content {content_id!r} is for {item.platform}, the collaboration for "
            f"{collaboration.platform}.",
        )
    collaboration.content_id = content_id
    collaboration.updated_at = utcnow()
    await session.flush()
    return collaboration


async def publish(
    session: AsyncSession, *, workspace_id: UUID, collaboration_id: UUID
) -> Collaboration:
    collaboration = await get(session, workspace_id=workspace_id, collaboration_id=collaboration_id)
    _require_state(collaboration, "publish", "approved")
    if collaboration.content_id is None:
        raise naming(Conflict, "content_id", "Attach the reviewed ad content before publishing.")
    collaboration.state = "published"
    collaboration.updated_at = utcnow()
    await session.flush()
    return collaboration


async def cancel(
    session: AsyncSession, *, workspace_id: UUID, collaboration_id: UUID
) -> Collaboration:
    collaboration = await get(session, workspace_id=workspace_id, collaboration_id=collaboration_id)
    _require_state(collaboration, "cancel", "proposed", "approved")
    collaboration.state = "cancelled"
    collaboration.updated_at = utcnow()
    await session.flush()
    return collaboration


async def record_metrics(
    session: AsyncSession, *, workspace_id: UUID, collaboration_id: UUID, data: MetricsIn
) -> Collaboration:
    collaboration = await get(session, workspace_id=workspace_id, collaboration_id=collaboration_id)
    _require_state(collaboration, "report metrics of", "published")
    collaboration.exposure = data.exposure
    collaboration.engagement = data.engagement
    collaboration.updated_at = utcnow()
    await session.flush()
    return collaboration


# Attribution ------------------------------------------------------------------------------


def codes_of(event: UserEventAccepted) -> list[tuple[str, str]]:
    """(code, via) an event carries: its coupon or invite code, the tracking link's parameter."""
    found = [(event.coupon_code, "coupon_code"), (event.invite_code, "invite_code")]
    tracked = event.properties.get(TRACKING_PARAMETER)
    found.append((tracked if isinstance(tracked, str) else None, "tracking_link"))
    return [(normalised(code), via) for code, via in found if code and len(code) <= 64]


async def collaboration_codes(
    session: AsyncSession, *, workspace_id: UUID, codes: set[str]
) -> dict[str, UUID]:
    if not codes:
        return {}
    rows = await session.execute(
        select(Collaboration.code, Collaboration.id).where(
            Collaboration.workspace_id == workspace_id,
            Collaboration.code.in_(sorted(codes)),
        )
    )
    return {code: collaboration_id for code, collaboration_id in rows}


async def attribute(
    session: AsyncSession, *, workspace_id: UUID, events: Sequence[UserEventAccepted]
) -> int:
    """Conversions carrying a creator's code, recorded once per event (a redelivery or a
    replay under a new envelope adds nothing). Returns how many were new."""
    relevant = [e for e in events if e.kind in CONVERSION_KINDS]
    wanted = {code for e in relevant for code, _ in codes_of(e)}
    known = await collaboration_codes(session, workspace_id=workspace_id, codes=wanted)
    rows: list[dict[str, Any]] = []
    for event in relevant:
        for code, via in codes_of(event):
            if code in known:
                rows.append(
                    {
                        "workspace_id": workspace_id,
                        "collaboration_id": known[code],
                        "event_id": event.event_id,
                        "user_id": event.user_id,
                        "kind": event.kind,
                        "via": via,
                        "amount": _amount(event.amount),
                        "occurred_at": as_utc(event.occurred_at),
                    }
                )
                break
    if not rows:
        return 0
    insert = sql_dialect(session).insert(CreatorConversion.__table__)
    result = await session.execute(
        insert.on_conflict_do_nothing(index_elements=["workspace_id", "event_id"]).returning(
            CreatorConversion.__table__.c.id
        ),
        rows,
    )
    return len(result.all())


def _amount(raw: str | None) -> Decimal | None:
    try:
        value = Decimal(raw) if raw is not None else None
    except ArithmeticError:
        return None
    return value if value is not None and value.is_finite() else None


async def results(session: AsyncSession, *, workspace_id: UUID, campaign_id: UUID) -> ResultsOut:
    collaborations = await list_for_campaign(
        session, workspace_id=workspace_id, campaign_id=campaign_id
    )
    ids = [c.id for c in collaborations]
    totals: dict[tuple[UUID, str], tuple[int, Decimal]] = {}
    if ids:
        rows = await session.execute(
            select(
                CreatorConversion.collaboration_id,
                CreatorConversion.kind,
                func.count(),
                func.coalesce(func.sum(CreatorConversion.amount), 0),
            )
            .where(CreatorConversion.collaboration_id.in_(ids))
            .group_by(CreatorConversion.collaboration_id, CreatorConversion.kind)
        )
        totals = {(cid, kind): (int(n), Decimal(str(s))) for cid, kind, n, s in rows}
    names = dict(
        (
            await session.execute(
                select(Creator.id, Creator.name).where(
                    Creator.id.in_([c.creator_id for c in collaborations])
                )
            )
        ).all()
    )
    out: list[CreatorResult] = []
    for c in collaborations:
        purchases, revenue = totals.get((c.id, "purchase"), (0, Decimal(0)))
        signups = sum(totals.get((c.id, k), (0, Decimal(0)))[0] for k in CONVERSION_KINDS[1:])
        out.append(
            CreatorResult(
                collaboration_id=c.id,
                creator_id=c.creator_id,
                creator_name=names.get(c.creator_id, ""),
                platform=c.platform,
                state=c.state,
                exposure=c.exposure,
                engagement=c.engagement,
                conversions=purchases,
                signups=signups,
                revenue=revenue.quantize(CENTS),
                cost=c.fee,
                roi=_roi(revenue, c.fee),
                cost_per_conversion=(c.fee / purchases).quantize(CENTS) if purchases else None,
            )
        )
    counted = [r for r in out if r.state != "cancelled"]
    cost = sum((r.cost for r in counted), Decimal(0))
    revenue = sum((r.revenue for r in counted), Decimal(0))
    return ResultsOut(
        campaign_id=campaign_id,
        creators=out,
        total_cost=cost,
        total_revenue=revenue,
        roi=_roi(revenue, cost),
    )


def _roi(revenue: Decimal, cost: Decimal) -> float | None:
    return round(float((revenue - cost) / cost), 4) if cost else None
