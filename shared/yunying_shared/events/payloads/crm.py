"""What CRM systems push on `crm.events.v1`.

One generic event type, `crm.event_recorded`, with a `kind` field, rather than one type per CRM
event kind: CRMs may send custom kinds, and one type keeps every event of a user in one ordered
stream (key: user id). Known kinds: registered, login, page_view, product_view, follow, purchase
(order_id, amount, currency, items, coupon_code), refund (order_id, amount), share,
referral_signup (invite_code), survey_answer. Any other kind is accepted as a custom event.

The model is deliberately lenient (types are checked by the receiving service per event, so a
rejection names the field); fields it does not name are kept in the profile's bounded `extra`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

KNOWN_KINDS = (
    "registered",
    "login",
    "page_view",
    "product_view",
    "follow",
    "purchase",
    "refund",
    "share",
    "referral_signup",
    "survey_answer",
)


class CrmEventRecorded(BaseModel):
    model_config = ConfigDict(extra="allow")

    event_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="The CRM's id, the dedupe key; defaults to the CloudEvent's own `id`",
    )
    user_id: str = Field(min_length=1, max_length=128, description="The CRM's user id")
    kind: str = Field(min_length=1, max_length=64, description="One of KNOWN_KINDS or custom")
    occurred_at: datetime
    amount: Any = Field(default=None, description="purchase/refund: finite, non-negative")
    currency: str | None = Field(default=None, description="ISO 4217, e.g. CNY")
    order_id: str | None = None
    items: list[dict[str, Any]] | None = None
    coupon_code: str | None = None
    invite_code: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
