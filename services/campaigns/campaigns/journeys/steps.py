"""Running an enrolment's steps from where it stands until it waits or ends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience.service import did_since
from campaigns.campaigns.models import Campaign
from campaigns.clock import as_utc
from campaigns.journeys.effects import Effects, log_step
from campaigns.journeys.models import Journey, Progress
from campaigns.sending.models import TAG_CHANNEL
from campaigns.sending.queue import NewSend

# A paused campaign's due steps look again after this long.
PAUSED_RECHECK = timedelta(minutes=1)


async def advance(
    session: AsyncSession,
    enrollment: Progress,
    journey: Journey,
    campaign: Campaign,
    *,
    now: datetime,
    effects: Effects,
) -> None:
    """Runs steps until a wait or the end; coupons and messages go to `effects`, which the
    caller applies once for the whole batch."""
    enrollment.updated_at = now
    if campaign.state == "paused":
        enrollment.state, enrollment.due_at = "waiting", now + PAUSED_RECHECK
        return
    if campaign.state != "running":
        enrollment.state, enrollment.due_at = "exited", None
        log_step(enrollment, enrollment.step_index, f"campaign {campaign.state}")
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
            log_step(enrollment, index, f"{'did' if did else 'did not'} {step['kind']}")
            if branch == "exit":
                break
            enrollment.step_index = index + 1 if branch == "continue" else int(branch)
            continue
        _act(enrollment, campaign, index, step, effects)
        enrollment.step_index += 1
    enrollment.state, enrollment.due_at = "done", None


def _waited(enrollment: Progress, index: int, now: datetime) -> bool:
    until = enrollment.context.get("waiting", {}).get(str(index))
    return until is not None and datetime.fromisoformat(until) <= now


def _wait_until(enrollment: Progress, index: int, until: datetime) -> None:
    enrollment.state, enrollment.due_at = "waiting", until
    waiting = {**enrollment.context.get("waiting", {}), str(index): as_utc(until).isoformat()}
    enrollment.context = {**enrollment.context, "waiting": waiting}


def _act(
    enrollment: Progress,
    campaign: Campaign,
    index: int,
    step: dict[str, Any],
    effects: Effects,
) -> None:
    kind = step["type"]
    if kind == "issue_coupon":
        template_id = UUID(step["template_id"]) if step.get("template_id") else None
        template_id = template_id or campaign.coupon_template_id
        if template_id is None:
            log_step(enrollment, index, "no coupon template")
            return
        effects.coupon(enrollment, campaign, index, template_id)
    elif kind == "send_message":
        reason = enrollment.context.get("churn_reason")
        body = step.get("by_churn_reason", {}).get(reason, step["body"]) if reason else step["body"]
        effects.send(_send(enrollment, campaign, index, step["channel"], body))
        log_step(enrollment, index, f"queued {step['channel']} message")
    elif kind == "tag_user":
        effects.send(
            _send(enrollment, campaign, index, TAG_CHANNEL, step["tag"], promotional=False)
        )
        log_step(enrollment, index, f"queued tag {step['tag']}")


def _send(
    enrollment: Progress,
    campaign: Campaign,
    index: int,
    channel: str,
    body: str,
    *,
    promotional: bool | None = None,
) -> NewSend:
    return NewSend(
        workspace_id=enrollment.workspace_id,
        # From the enrolment's unique key, not its row id: a trigger handled twice at once
        # (two transactions racing for one enrolment) still queues one message.
        dedupe_key=(
            f"journey:{enrollment.journey_id}:{enrollment.user_id}:{enrollment.period}:{index}"
        ),
        user_id=enrollment.user_id,
        channel=channel,
        body=body,
        campaign_id=campaign.id,
        enrollment_id=enrollment.id,
        priority=campaign.priority,
        promotional=campaign.promotional if promotional is None else promotional,
    )
