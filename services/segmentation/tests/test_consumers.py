"""The consumed topics, end to end through the ConsumerRunner on the local transport."""

import asyncio
import uuid
from datetime import UTC, datetime

from segmentation.main import create_app
from yunying_shared.bus import Message
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import (
    CRM_EVENT_RECORDED,
    FEEDBACK_CLASSIFIED,
    REFERRAL_SIGNUP_ATTRIBUTED,
)
from yunying_shared.events.payloads.campaigns import ReferralSignupAttributed
from yunying_shared.events.payloads.crm import CrmEventRecorded
from yunying_shared.events.payloads.sentiment import FeedbackClassified
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database


async def _send(transport, spec, payload, workspace_id):
    event = make_event(spec, payload, source="/tests", workspace=workspace_id)
    await transport.publish([Message(spec.topic, spec.key_of(payload).encode(), event.to_bytes())])
    return event


async def _eventually(client, path, headers, predicate):
    body = None
    for _ in range(200):
        response = await client.get(path, headers=headers)
        if response.status_code == 200:
            body = response.json()
            if predicate(body):
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never matched; last body: {body}")


async def test_consumes_crm_feedback_and_referral_events(
    dialect, tmp_path, settings_for, local_transport
):
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app) as client:
            headers = internal_headers(app, user_principal(workspace_id, "analyst"))
            purchase = CrmEventRecorded(
                event_id="crm-1",
                user_id="u1",
                kind="purchase",
                occurred_at=datetime.now(UTC),
                amount="88.00",
                order_id="o1",
                channel="mini-program",
            )
            sent = await _send(local_transport, CRM_EVENT_RECORDED, purchase, workspace_id)
            profile = await _eventually(
                client, "/v1/users/u1", headers, lambda p: p["order_count"] == 1
            )
            assert float(profile["monetary_total"]) == 88.0
            assert profile["stage"] == "new"

            await local_transport.publish(
                [Message(CRM_EVENT_RECORDED.topic, b"u1", sent.to_bytes())]
            )  # redelivery
            await _send(
                local_transport,
                FEEDBACK_CLASSIFIED,
                FeedbackClassified(
                    user_id="u1", reason="delivery", excerpt="配送太慢", churn_related=True
                ),
                workspace_id,
            )
            profile = await _eventually(
                client, "/v1/users/u1", headers, lambda p: p["churn_reason"] == "delivery"
            )
            assert profile["complaint_reasons"][-1]["excerpt"] == "配送太慢"
            assert profile["order_count"] == 1  # the redelivered purchase changed nothing

            await _send(
                local_transport,
                REFERRAL_SIGNUP_ATTRIBUTED,
                ReferralSignupAttributed(
                    invitee_user_id="u2", inviter_user_id="u1", campaign_id="c-42"
                ),
                workspace_id,
            )
            invitee = await _eventually(
                client, "/v1/users/u2", headers, lambda p: p["source"] == "referral"
            )
            assert invitee["referred_by"] == "u1" and invitee["source_campaign"] == "c-42"
