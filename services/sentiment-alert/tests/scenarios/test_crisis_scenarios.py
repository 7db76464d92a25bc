"""Proof scenarios in both modes (`mode`: SQLite + the local log, PostgreSQL + Kafka), with
the real consuming services on one bus:

(a) a burst of negative mentions of a workspace's brand keyword raises one alert that
    escalates and opens a crisis case (crisis.opened); campaigns pauses promotional sends and
    content-review holds ads; both resume when the case is resolved;
(b) a churned user's complaint ("配送太慢，再也不买了") is classified as feedback on delivery
    and segmentation records that churn reason on the profile.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from campaigns.main import DEFINITION as CAMPAIGNS
from campaigns.main import create_app as create_campaigns
from campaigns.sending.channels import Channels, Delivery
from content_review.main import DEFINITION as CONTENT_REVIEW
from content_review.main import create_app as create_content_review
from segmentation.main import DEFINITION as SEGMENTATION
from segmentation.main import create_app as create_segmentation
from sentiment_alert.main import DEFINITION as SENTIMENT
from sentiment_alert.main import create_app as create_sentiment
from yunying_shared.bus import Message
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import USER_EVENT_ACCEPTED
from yunying_shared.events.payloads.segmentation import UserEventAccepted
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database
from yunying_shared.testing.groups import isolated_consumer_group

from ..service.history import NEUTRAL, burst, steady_week


class RecordingChannel:
    def __init__(self):
        self.delivered = []

    async def deliver(self, message):
        self.delivered.append(message)
        return Delivery(True, [])


async def eventually(client, path, headers, predicate, *, tries=2400):
    # Generous: on a loaded machine a Kafka round trip through two services can take a minute.
    body = None
    for _ in range(tries):
        response = await client.get(path, headers=headers)
        if response.status_code == 200:
            body = response.json()
            if predicate(body):
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never matched; last body: {body}")


async def _post_mentions(client, headers, items):
    for start in range(0, len(items), 1000):
        response = await client.post(
            "/v1/mentions", headers=headers, json={"mentions": items[start : start + 1000]}
        )
        assert response.status_code == 200, response.text
        assert response.json()["rejected"] == 0, response.text


async def _running_campaign(client, headers):
    template = await client.post(
        "/v1/coupons/templates",
        headers=headers,
        json={"name": "复购券", "kind": "amount_off", "amount_off": "30"},
    )
    assert template.status_code == 201, template.text
    start = datetime.now(UTC) + timedelta(minutes=1)
    campaign = await client.post(
        "/v1/campaigns",
        headers=headers,
        json={
            "name": "复购提醒",
            "type": "churn_recall",
            "platforms": ["wechat"],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=14)).isoformat(),
            "coupon_template_id": template.json()["id"],
            "budget": "3000",
            "reward_limit": 100,
            "priority": 5,
        },
    )
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["id"]
    for state in ("scheduled", "running"):
        moved = await client.post(
            f"/v1/campaigns/{campaign_id}/transitions", headers=headers, json={"to_state": state}
        )
        assert moved.status_code == 200, moved.text
    journey = await client.post(
        "/v1/journeys",
        headers=headers,
        json={
            "campaign_id": campaign_id,
            "name": "晒单返券",
            "trigger": {"event": "user_event", "kind": "purchase"},
            "steps": [{"type": "send_message", "channel": "sms", "body": "晒单返券"}],
        },
    )
    assert journey.status_code == 201, journey.text


async def _scheduled_ad(client, workspace_id, app):
    def as_(subject, role):
        return internal_headers(app, user_principal(workspace_id, role, subject=subject))

    created = await client.post(
        "/v1/content/items",
        headers=as_("author-1", "operator"),
        json={
            "platform": "xiaohongshu",
            "kind": "ad",
            "title": "早八通勤妆",
            "body": "五分钟完成底妆，适合通勤。#广告",
            "planned_publish_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    for step, headers in (
        ("submit", as_("author-1", "operator")),
        ("operator-check", as_("operator-2", "operator")),
        ("approve", as_("reviewer-3", "reviewer")),
        ("schedule", as_("operator-2", "operator")),
    ):
        response = await client.post(f"/v1/content/items/{item_id}/{step}", headers=headers)
        assert response.status_code == 200, response.text
    return item_id, as_("reviewer-3", "reviewer")


async def test_a_negative_burst_opens_a_crisis_that_pauses_sends_and_holds_ads(
    mode, settings_for, tmp_path
):
    database_url, transport = mode
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    workspace_id = uuid.uuid4()
    channel = RecordingChannel()
    async with (
        fresh_database(dialect, tmp_path / "campaigns") as campaigns_url,
        fresh_database(dialect, tmp_path / "content") as content_url,
    ):
        sentiment = create_sentiment(
            settings_for(
                "sentiment-alert",
                database_url,
                jobs_enabled=False,
                **await isolated_consumer_group(database_url, SENTIMENT),
            ),
            transport=transport,
        )
        campaigns = create_campaigns(
            settings_for(
                "campaigns",
                campaigns_url,
                send_hold_seconds=0,
                send_interval_seconds=0.05,
                **await isolated_consumer_group(database_url, CAMPAIGNS),
            ),
            transport=transport,
            state={"channels": Channels({"sms": channel})},
        )
        content = create_content_review(
            settings_for(
                "content-review",
                content_url,
                **await isolated_consumer_group(database_url, CONTENT_REVIEW),
            ),
            transport=transport,
        )
        async with (
            running(sentiment) as client,
            running(campaigns) as campaigns_client,
            running(content) as content_client,
        ):
            operator = internal_headers(sentiment, user_principal(workspace_id, "operator"))
            campaigns_operator = internal_headers(
                campaigns, user_principal(workspace_id, "operator")
            )
            await _running_campaign(campaigns_client, campaigns_operator)
            ad_id, reviewer = await _scheduled_ad(content_client, workspace_id, content)

            rule = {"kind": "brand", "keyword": "花西子", "terms": ["花西子散粉"]}
            created = await client.post("/v1/monitoring/rules", headers=operator, json=rule)
            assert created.status_code == 201, created.text
            now = datetime.now(UTC)
            await _post_mentions(client, operator, steady_week(now))
            await _post_mentions(client, operator, burst(now, 16, prefix="a", text=NEUTRAL))
            [alert] = (await client.get("/v1/alerts", headers=operator)).json()["items"]
            assert alert["level"] == "blue" and alert["crisis_id"] is None
            await _post_mentions(client, operator, burst(now, 40, prefix="b"))
            [alert] = (await client.get("/v1/alerts", headers=operator)).json()["items"]
            assert alert["level"] == "red" and alert["escalations"][0]["level"] == "red"
            assert alert["sentiment_mix"]["neg"] == 40
            [case] = (await client.get("/v1/crises", headers=operator)).json()["items"]
            assert case["id"] == alert["crisis_id"] and case["state"] == "warning"

            # Campaigns and content-review learn of it from crisis.opened.
            await eventually(
                campaigns_client,
                "/v1/campaigns/crises",
                campaigns_operator,
                lambda body: len(body["items"]) == 1,
            )
            await eventually(
                content_client,
                f"/v1/content/items/{ad_id}",
                reviewer,
                lambda body: body["state"] == "held",
            )
            event = make_event(
                USER_EVENT_ACCEPTED,
                UserEventAccepted(
                    event_id="p1", user_id="u9", kind="purchase", occurred_at=datetime.now(UTC)
                ),
                source="/tests",
                workspace=workspace_id,
            )
            await transport.publish([Message(USER_EVENT_ACCEPTED.topic, b"u9", event.to_bytes())])
            paused = await eventually(
                campaigns_client,
                "/v1/sending/sends?user_id=u9",
                campaigns_operator,
                lambda body: len(body["items"]) == 1 and body["items"][0]["state"] == "paused",
            )
            assert case["id"] in paused["items"][0]["reason"]
            assert channel.delivered == []

            resolved = await client.post(
                f"/v1/crises/{case['id']}/transition",
                headers=operator,
                json={"to_state": "closed", "note": "false alarm: a competitor's batch"},
            )
            assert resolved.status_code == 200, resolved.text
            await eventually(
                campaigns_client,
                "/v1/sending/sends?user_id=u9",
                campaigns_operator,
                lambda body: body["items"][0]["state"] == "sent",
            )
            await eventually(
                content_client,
                f"/v1/content/items/{ad_id}",
                reviewer,
                lambda body: body["state"] == "scheduled",
            )
            assert [m.user_id for m in channel.delivered] == ["u9"]
            # Still one alert for the whole spike.
            assert len((await client.get("/v1/alerts", headers=operator)).json()["items"]) == 1


async def test_a_churned_users_complaint_becomes_their_churn_reason(mode, settings_for, tmp_path):
    database_url, transport = mode
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path / "segmentation") as segmentation_url:
        sentiment = create_sentiment(
            settings_for(
                "sentiment-alert",
                database_url,
                jobs_enabled=False,
                **await isolated_consumer_group(database_url, SENTIMENT),
            ),
            transport=transport,
        )
        segmentation = create_segmentation(
            settings_for(
                "segmentation",
                segmentation_url,
                **await isolated_consumer_group(database_url, SEGMENTATION),
            ),
            transport=transport,
        )
        async with running(sentiment) as client, running(segmentation) as seg_client:
            seg_headers = internal_headers(segmentation, user_principal(workspace_id, "operator"))
            long_ago = (datetime.now(UTC) - timedelta(days=200)).isoformat()
            purchase = {
                "event_id": "o-1",
                "user_id": "u-churned",
                "type": "purchase",
                "occurred_at": long_ago,
                "amount": "199",
                "currency": "CNY",
            }
            posted = await seg_client.post(
                "/v1/events", headers=seg_headers, json={"events": [purchase]}
            )
            assert posted.status_code == 200, posted.text
            profile = (await seg_client.get("/v1/users/u-churned", headers=seg_headers)).json()
            assert profile["stage"] == "churned"

            crawler = internal_headers(
                sentiment,
                user_principal(workspace_id, "operator"),
            )
            mention = {
                "platform": "weibo",
                "platform_id": "wb-1",
                "author": "小王",
                "text": "配送太慢，再也不买了",
                "posted_at": datetime.now(UTC).isoformat(),
                "user_id": "u-churned",
            }
            response = await client.post(
                "/v1/mentions", headers=crawler, json={"mentions": [mention]}
            )
            assert response.json()["results"][0]["label"] == "neg"
            profile = await eventually(
                seg_client,
                "/v1/users/u-churned",
                seg_headers,
                lambda body: body["churn_reason"] is not None,
            )
            assert profile["churn_reason"] == "delivery"
            assert profile["complaint_reasons"][-1]["excerpt"] == "配送太慢，再也不买了"
