"""Thin handlers: parse, call the service function, done.

CRM events come as a batch handler: a fetched run of them is ingested on the same bulk path as
`POST /v1/events` (one `ingest` per workspace: validation per item, one transaction, the
after-write chain once), so the topic is served as fast as HTTP. A rejected item fails the
batch; the consumer runner then rolls it back and hands its events over one at a time, where
the rejected one is dead-lettered alone and the rest land.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.events.service import ingest
from segmentation.profiles.service import record_feedback, record_referral
from yunying_shared.bus import PermanentFailure
from yunying_shared.events import Envelope
from yunying_shared.events.catalogue import (
    CRM_EVENT_RECORDED,
    FEEDBACK_CLASSIFIED,
    REFERRAL_SIGNUP_ATTRIBUTED,
)
from yunying_shared.events.payloads.campaigns import ReferralSignupAttributed
from yunying_shared.events.payloads.crm import CrmEventRecorded
from yunying_shared.events.payloads.sentiment import FeedbackClassified
from yunying_shared.kit import on, on_batch


def _workspace(envelope: Envelope) -> Any:
    if envelope.workspace is None:
        raise PermanentFailure(f"{envelope.type} {envelope.id} names no workspace")
    return envelope.workspace


def _ingest_item(envelope: Envelope) -> dict[str, Any]:
    """The topic's payload as an item of `POST /v1/events` (its `kind` is the item's `type`);
    without an `event_id` of its own, the CloudEvent's id (as the producer wrote it) is one."""
    # The payload as it came (the model only checked it): ingestion validates each field.
    item = {name: value for name, value in envelope.data.items() if value is not None}
    item["type"] = item.pop("kind")
    if "event_id" not in item:  # (the id's text is made only when it is needed)
        item["event_id"] = (envelope.model_extra or {}).get("sourceid", str(envelope.id))
    return item


async def on_crm_events(
    session: AsyncSession, events: Sequence[tuple[Envelope, CrmEventRecorded]]
) -> None:
    by_workspace: dict[UUID, list[dict[str, Any]]] = {}
    for envelope, _ in events:
        by_workspace.setdefault(_workspace(envelope), []).append(_ingest_item(envelope))
    for workspace_id, items in by_workspace.items():
        result = await ingest(session, workspace_id=workspace_id, items=items)
        if result.rejected:
            rejected = [
                {"event_id": r.event_id, "errors": r.errors}
                for r in result.results
                if r.status == "rejected"
            ]
            # Alone in its batch, the event is dead-lettered with this reason; in a larger
            # batch it makes the runner retry the events one at a time.
            raise PermanentFailure(f"rejected: {rejected}")


async def on_feedback(
    session: AsyncSession, envelope: Envelope, payload: FeedbackClassified
) -> None:
    await record_feedback(session, workspace_id=_workspace(envelope), feedback=payload)


async def on_referral(
    session: AsyncSession, envelope: Envelope, payload: ReferralSignupAttributed
) -> None:
    await record_referral(session, workspace_id=_workspace(envelope), referral=payload)


HANDLERS = (
    # Ingestion drops a redelivered event by its event id: no inbox row needed.
    on_batch(CRM_EVENT_RECORDED, on_crm_events, idempotent=True),
    on(FEEDBACK_CLASSIFIED, on_feedback),
    on(REFERRAL_SIGNUP_ATTRIBUTED, on_referral),
)
