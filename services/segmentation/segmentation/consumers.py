"""Thin handlers: parse, call the service function, done."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.events.service import ingest
from segmentation.profiles.service import record_feedback, record_referral
from yunying_shared.bus import Handler, PermanentFailure
from yunying_shared.events import Envelope
from yunying_shared.events.catalogue import (
    CRM_EVENT_RECORDED,
    FEEDBACK_CLASSIFIED,
    REFERRAL_SIGNUP_ATTRIBUTED,
)
from yunying_shared.events.payloads.campaigns import ReferralSignupAttributed
from yunying_shared.events.payloads.crm import CrmEventRecorded
from yunying_shared.events.payloads.sentiment import FeedbackClassified


def _workspace(envelope: Envelope) -> Any:
    if envelope.workspace is None:
        raise PermanentFailure(f"{envelope.type} {envelope.id} names no workspace")
    return envelope.workspace


async def on_crm_event(
    session: AsyncSession, envelope: Envelope, payload: CrmEventRecorded
) -> None:
    item = payload.model_dump(mode="json", exclude_none=True)
    item["type"] = item.pop("kind")
    result = await ingest(session, workspace_id=_workspace(envelope), items=[item])
    if result.rejected:
        raise PermanentFailure(f"rejected: {result.results[0].errors}")


async def on_feedback(
    session: AsyncSession, envelope: Envelope, payload: FeedbackClassified
) -> None:
    await record_feedback(session, workspace_id=_workspace(envelope), feedback=payload)


async def on_referral(
    session: AsyncSession, envelope: Envelope, payload: ReferralSignupAttributed
) -> None:
    await record_referral(session, workspace_id=_workspace(envelope), referral=payload)


HANDLERS: dict[str, Handler] = {
    CRM_EVENT_RECORDED.type: on_crm_event,
    FEEDBACK_CLASSIFIED.type: on_feedback,
    REFERRAL_SIGNUP_ATTRIBUTED.type: on_referral,
}
