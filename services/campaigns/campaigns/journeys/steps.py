"""Running an enrolment's steps from where it stands until it waits or ends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience.service import did_since
from campaigns.campaigns.models import Campaign
from campaigns.campaigns.service import take_reward
from campaigns.clock import as_utc
from campaigns.coupons.service import CouponLimitReached, issue_coupon
from campaigns.journeys.models import Enrollment, Journey
from campaigns.sending.queue import NewSend, enqueue
from yunying_shared.errors import DomainError

# A paused campaign's due steps look again after this long.
PAUSED_RECHECK = timedelta(minutes=1)
TAG_CHANNEL = "tag"


def _log(enrollment: Enrollment, index: int, what: str) -> None:
    # A new dict, so the JSON column is seen as changed.
    history = [*enrollment.context.get("history", []), f"{index}: {what}"]
    enrollment.context = {**enrollment.context, "history": history[-20:]}
    enrollment.outcome = what[:300]


async def advance(
    session: AsyncSession,
    enrollment: Enrollment,
    journey: Journey,
    campaign: Campaign,
    *,
    now: datetime,
) -> None:
    enrollment.updated_at = now
    if campaign.state == "paused":
        enrollment.state, enrollment.due_at = "waiting", now + PAUSED_RECHECK
        return
    if campaign.state != "running":
        enrollment.state, enrollment.due_at = "exited", None
        _log(enrollment, enrollment.step_index, f"campaign {campaign.state}")
        return
    steps: list[dict[str, Any]] = journey.steps
    while enrollment.step_index < len(steps):
        index = enrollment.step_index
        step = steps[index]
        kind = step["type"]
        if kind == "wait":
            if _waited(enrollment, index, now):
                enrollment.step_index += 1
                continue
            _wait_until(enrollment, index, now + timedelta(seconds=step["seconds"]))
            return
        if kind == "condition":
            if not _waited(enrollment, index, now):
                _wait_until(enrollment, index, now + timedelta(seconds=step["within_seconds"]))
                return
            until = datetime.fromisoformat(enrollment.context["waiting"][str(index)])
            since = until - timedelta(seconds=step["within_seconds"])
            did = await did_since(
                session,
                workspace_id=enrollment.workspace_id,
                user_id=enrollment.user_id,
                kind=step["kind"],
                since=since,
            )
            branch = step["if_did"] if did else step["if_not"]
            _log(enrollment, index, f"{'did' if did else 'did not'} {step['kind']}")
            if branch == "exit":
                break
            enrollment.step_index = index + 1 if branch == "continue" else int(branch)
            continue
        await _act(session, enrollment, campaign, index, step, now)
        enrollment.step_index += 1
    enrollment.state, enrollment.due_at = "done", None


def _waited(enrollment: Enrollment, index: int, now: datetime) -> bool:
    until = enrollment.context.get("waiting", {}).get(str(index))
    return until is not None and datetime.fromisoformat(until) <= now


def _wait_until(enrollment: Enrollment, index: int, until: datetime) -> None:
    enrollment.state, enrollment.due_at = "waiting", until
    waiting = {**enrollment.context.get("waiting", {}), str(index): as_utc(until).isoformat()}
    enrollment.context = {**enrollment.context, "waiting": waiting}


def coupon_reason(enrollment: Enrollment, index: int) -> str:
    """One coupon per journey step per enrolment period: a redelivered trigger, a re-run step
    or a crash between steps finds the coupon issued under this reason."""
    return f"journey {enrollment.journey_id} step {index} period {enrollment.period}"


async def _act(
    session: AsyncSession,
    enrollment: Enrollment,
    campaign: Campaign,
    index: int,
    step: dict[str, Any],
    now: datetime,
) -> None:
    kind = step["type"]
    if kind == "issue_coupon":
        await _issue(session, enrollment, campaign, index, step, now)
    elif kind == "send_message":
        reason = enrollment.context.get("churn_reason")
        body = step.get("by_churn_reason", {}).get(reason, step["body"]) if reason else step["body"]
        await enqueue(session, [_send(enrollment, campaign, index, step["channel"], body)], now=now)
        _log(enrollment, index, f"queued {step['channel']} message")
    elif kind == "tag_user":
        send = _send(enrollment, campaign, index, TAG_CHANNEL, step["tag"], promotional=False)
        await enqueue(session, [send], now=now)
        _log(enrollment, index, f"queued tag {step['tag']}")


def _send(
    enrollment: Enrollment,
    campaign: Campaign,
    index: int,
    channel: str,
    body: str,
    *,
    promotional: bool | None = None,
) -> NewSend:
    return NewSend(
        workspace_id=enrollment.workspace_id,
        dedupe_key=f"journey:{enrollment.id}:{index}",
        user_id=enrollment.user_id,
        channel=channel,
        body=body,
        campaign_id=campaign.id,
        enrollment_id=enrollment.id,
        priority=campaign.priority,
        promotional=campaign.promotional if promotional is None else promotional,
    )


async def _issue(
    session: AsyncSession,
    enrollment: Enrollment,
    campaign: Campaign,
    index: int,
    step: dict[str, Any],
    now: datetime,
) -> None:
    template_id = UUID(step["template_id"]) if step.get("template_id") else None
    template_id = template_id or campaign.coupon_template_id
    if template_id is None:
        _log(enrollment, index, "no coupon template")
        return
    if not await take_reward(session, campaign_id=campaign.id):
        _log(enrollment, index, f"reward limit {campaign.reward_limit} reached")
        return
    try:
        # A savepoint: a refused issuance (limit, expired template) leaves the rest intact.
        async with session.begin_nested():
            result = await issue_coupon(
                session,
                workspace_id=enrollment.workspace_id,
                template_id=template_id,
                user_id=enrollment.user_id,
                campaign_id=campaign.id,
                reason=coupon_reason(enrollment, index),
                now=now,
            )
    except (CouponLimitReached, DomainError) as exc:
        await take_reward(session, campaign_id=campaign.id, count=-1)
        _log(enrollment, index, f"coupon refused: {exc}")
        return
    if not result.created:
        await take_reward(session, campaign_id=campaign.id, count=-1)
    _log(enrollment, index, f"coupon {result.coupon.id} {'issued' if result.created else 'held'}")
