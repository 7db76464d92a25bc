"""Accepted CRM events that other services act on, republished on `segmentation.event.v1`.

A CRM may post to `POST /v1/events` or produce to `crm.events.v1`; both land here, deduplicated
by event id. Republishing only what was accepted (new and valid) gives campaigns one stream of
purchases with coupon codes and referral sign-ups with invite codes, each exactly once, in the
transaction that stored them.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.db import BUS
from segmentation.events.schemas import ValidEvent
from yunying_shared.bus import publish_encoded
from yunying_shared.events.bulk import BulkEncoder
from yunying_shared.events.catalogue import USER_EVENT_ACCEPTED
from yunying_shared.events.payloads.segmentation import REPUBLISHED_KINDS

_ACCEPTED = BulkEncoder(USER_EVENT_ACCEPTED, source="/yunying/segmentation")
# Kept out of the republished properties: order lines and unknown fields can be large, and no
# consumer acts on them.
_NOT_REPUBLISHED = frozenset({"items", "extra", "coupon_code", "invite_code"})


async def republish_accepted(
    session: AsyncSession, *, workspace_id: UUID, events: Sequence[ValidEvent]
) -> None:
    rows = [
        {
            "event_id": event.event_id,
            "user_id": event.user_id,
            "kind": event.type,
            "occurred_at": event.occurred_at,
            "amount": None if event.amount is None else str(event.amount),
            "currency": event.currency,
            "order_id": event.order_id,
            "coupon_code": event.properties.get("coupon_code"),
            "invite_code": event.properties.get("invite_code"),
            "properties": {k: v for k, v in event.properties.items() if k not in _NOT_REPUBLISHED},
        }
        for event in events
        if event.type in REPUBLISHED_KINDS
    ]
    await publish_encoded(session, BUS, _ACCEPTED.encode(rows, workspace=workspace_id))
