from segmentation.db import BUS
from segmentation.events.service import ingest
from yunying_shared.events.catalogue import USER_EVENT_ACCEPTED
from yunying_shared.testing.outbox import outbox_events


async def _republished(session) -> list[dict]:
    events = await outbox_events(session, BUS)
    return [e.envelope() for e in events if e.topic == USER_EVENT_ACCEPTED.topic]


async def test_accepted_events_others_act_on_are_republished_once(
    session, workspace_id, now, crm_event
):
    batch = [
        crm_event(
            "u1",
            "purchase",
            amount="99.50",
            currency="CNY",
            order_id="o1",
            coupon_code="C-123",
            event_id="p1",
            properties={"device_id": "d1"},
        ),
        crm_event("u2", "referral_signup", invite_code="INV-9", event_id="r1"),
        crm_event("u1", "login", event_id="l1"),
        crm_event("u3", "purchase", amount=-1, event_id="bad"),
    ]
    await ingest(session, workspace_id=workspace_id, items=batch, now=now)
    await ingest(session, workspace_id=workspace_id, items=batch, now=now)  # a CRM retry

    events = await _republished(session)
    assert sorted(e["data"]["event_id"] for e in events) == ["p1", "r1"]
    purchase = next(e for e in events if e["data"]["event_id"] == "p1")
    assert purchase["type"] == USER_EVENT_ACCEPTED.type
    assert purchase["workspace"] == str(workspace_id)
    assert purchase["data"] | {"occurred_at": None} == {
        "event_id": "p1",
        "user_id": "u1",
        "kind": "purchase",
        "occurred_at": None,
        "amount": "99.50",
        "currency": "CNY",
        "order_id": "o1",
        "coupon_code": "C-123",
        "invite_code": None,
        "properties": {"device_id": "d1"},
    }
    signup = next(e for e in events if e["data"]["event_id"] == "r1")
    assert signup["data"]["invite_code"] == "INV-9" and signup["data"]["kind"] == "referral_signup"
