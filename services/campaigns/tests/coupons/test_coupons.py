"""Templates, idempotent issuance, limits, redemption reasons and claw-back, on both dialects."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlalchemy import select

from campaigns.coupons import service
from campaigns.coupons.codes import ALPHABET, LENGTH
from campaigns.coupons.schemas import TemplateIn
from campaigns.db import BUS
from campaigns.errors import Gone
from yunying_shared.errors import Conflict, NotFound


async def _template(session, workspace_id, now, **fields):
    data = {"name": "立减20", "kind": "amount_off", "amount_off": Decimal("20"), **fields}
    return await service.create_template(
        session, workspace_id=workspace_id, data=TemplateIn(**data), now=now
    )


async def _outbox_types(session):
    rows = await session.execute(select(BUS.outbox.c.headers))
    return [row.headers["ce_type"] for row in rows]


async def test_issue_is_idempotent_per_campaign_user_reason(session, workspace_id, now):
    template = await _template(session, workspace_id, now)
    campaign_id = uuid4()
    args = {
        "workspace_id": workspace_id,
        "template_id": template.id,
        "user_id": "u1",
        "campaign_id": campaign_id,
        "reason": "journey",
        "now": now,
    }
    first = await service.issue_coupon(session, **args)
    again = await service.issue_coupon(session, **args)
    other = await service.issue_coupon(session, **{**args, "reason": "referral"})
    assert first.created and not again.created and other.created
    assert again.coupon.id == first.coupon.id
    assert other.coupon.code != first.coupon.code
    assert len(first.coupon.code) == LENGTH and set(first.coupon.code) <= set(ALPHABET)
    assert first.coupon.expires_at == now + timedelta(days=30)
    await session.refresh(template)
    assert template.issued_count == 2
    assert (await _outbox_types(session)).count("yunying.coupon.issued.v1") == 2


async def test_total_and_per_user_limits(session, workspace_id, now):
    template = await _template(session, workspace_id, now, total_limit=2, per_user_limit=1)
    base = {"workspace_id": workspace_id, "template_id": template.id, "campaign_id": None}
    await service.issue_coupon(session, **base, user_id="u1", reason="a", now=now)
    with pytest.raises(service.CouponLimitReached) as per_user:
        await service.issue_coupon(session, **base, user_id="u1", reason="b", now=now)
    assert per_user.value.extensions["errors"][0]["field"] == "user_id"
    await service.issue_coupon(session, **base, user_id="u2", reason="a", now=now)
    with pytest.raises(service.CouponLimitReached) as total:
        await service.issue_coupon(session, **base, user_id="u3", reason="a", now=now)
    assert total.value.extensions["errors"][0]["field"] == "template_id"


async def test_redemption_reasons(session, workspace_id, now):
    template = await _template(session, workspace_id, now, validity_days=7)
    base = {"workspace_id": workspace_id, "template_id": template.id, "campaign_id": None}
    used = (await service.issue_coupon(session, **base, user_id="u1", reason="r", now=now)).coupon
    code = used.code
    redeemed = await service.redeem(
        session, workspace_id=workspace_id, code=code.lower(), order_id="o1", now=now
    )
    assert redeemed.redeemed_order_id == "o1"
    with pytest.raises(Conflict):
        await service.redeem(session, workspace_id=workspace_id, code=code, now=now)
    with pytest.raises(NotFound):
        await service.redeem(session, workspace_id=uuid4(), code=code, now=now)

    late = (await service.issue_coupon(session, **base, user_id="u2", reason="r", now=now)).coupon
    with pytest.raises(Gone) as expired:
        await service.redeem(
            session, workspace_id=workspace_id, code=late.code, now=now + timedelta(days=8)
        )
    assert expired.value.detail == "The coupon has expired."

    taken = (await service.issue_coupon(session, **base, user_id="u3", reason="r", now=now)).coupon
    await service.claw_back(session, workspace_id=workspace_id, coupon_id=taken.id, reason="refund")
    with pytest.raises(Gone):
        await service.redeem(session, workspace_id=workspace_id, code=taken.code, now=now)
    assert (await _outbox_types(session)).count("yunying.coupon.redeemed.v1") == 1


async def test_template_fields_by_kind_are_required():
    with pytest.raises(ValueError, match="discount_percent"):
        TemplateIn(name="x", kind="discount", unit_cost=Decimal("5"))
    with pytest.raises(ValueError, match="below threshold"):
        TemplateIn(
            name="x", kind="threshold", amount_off=Decimal("50"), threshold_amount=Decimal("30")
        )
