"""One request followed end to end by its X-Request-ID: through the gateway to sentiment-alert
(which classifies a complaint and writes `feedback.classified` to its outbox), over the real
Kafka broker, to segmentation's consumer. The id is on the gateway's response, on the request
sentiment-alert received, on the event (`correlationid`), and bound in the logging context while
segmentation handles the event (what every log line written there carries)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from structlog.contextvars import get_contextvars

import segmentation.consumers
from gateway.main import DEFINITION as GATEWAY
from gateway.main import create_app as create_gateway
from segmentation.main import DEFINITION as SEGMENTATION
from segmentation.main import create_app as create_segmentation
from sentiment_alert.db import BUS as SENTIMENT_BUS
from sentiment_alert.main import DEFINITION as SENTIMENT
from sentiment_alert.main import create_app as create_sentiment
from yunying_shared.events import Envelope
from yunying_shared.testing.apps import running
from yunying_shared.testing.databases import fresh_postgres_database
from yunying_shared.testing.groups import isolated_consumer_group

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ADMIN = {"email": "admin@yunying.local", "password": "trace-me passw0rd"}
PATIENCE = 120.0


async def _eventually(probe: Callable[[], Any], what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while asyncio.get_running_loop().time() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}")


async def test_one_request_id_from_the_gateway_through_kafka_to_another_service_s_consumer(
    kafka_transport, settings_for, monkeypatch
):
    handled: list[dict[str, Any]] = []
    record_feedback = segmentation.consumers.record_feedback

    async def observed(session: Any, **kwargs: Any) -> None:
        handled.append({**get_contextvars(), "user_id": kwargs["feedback"].user_id})
        await record_feedback(session, **kwargs)

    monkeypatch.setattr(segmentation.consumers, "record_feedback", observed)
    async with AsyncExitStack() as stack:
        urls = [await stack.enter_async_context(fresh_postgres_database("trace")) for _ in "abc"]

        async def settings(service: str, definition: Any, url: str, **extra: Any) -> Any:
            group = await isolated_consumer_group(url, definition)
            return settings_for(service, url, **group, **extra)

        sentiment_app = create_sentiment(
            await settings("sentiment-alert", SENTIMENT, urls[0]), transport=kafka_transport
        )
        segmentation_app = create_segmentation(
            await settings("segmentation", SEGMENTATION, urls[1]), transport=kafka_transport
        )
        await stack.enter_async_context(running(sentiment_app))
        await stack.enter_async_context(running(segmentation_app))
        gateway_app = create_gateway(
            await settings(
                "gateway",
                GATEWAY,
                urls[2],
                upstreams={},
                admin_password=ADMIN["password"],
                password_time_cost=1,
                password_memory_kib=1024,
                password_parallelism=1,
            ),
            transport=kafka_transport,
            upstreams={
                "sentiment-alert": httpx.ASGITransport(app=sentiment_app),
                "segmentation": httpx.ASGITransport(app=segmentation_app),
            },
        )
        client = await stack.enter_async_context(running(gateway_app))

        login = await client.post("/v1/auth/login", json=ADMIN)
        assert login.status_code == 200, login.text
        auth = {"authorization": f"Bearer {login.json()['access_token']}"}
        slug = f"trace-{uuid.uuid4().hex[:8]}"
        created = await client.post(
            "/v1/workspaces", headers=auth, json={"name": "追踪", "slug": slug}
        )
        assert created.status_code == 201, created.text
        workspace = created.json()["id"]

        async def propagated() -> bool:
            answer = await client.get(f"/v1/workspaces/{workspace}/propagation", headers=auth)
            return bool(answer.status_code == 200 and answer.json()["complete"])

        await _eventually(propagated, "the workspace reaching both services")

        request_id = f"trace-{uuid.uuid4().hex}"
        user = f"u-{uuid.uuid4().hex[:8]}"
        response = await client.post(
            "/v1/feedback",
            headers={**auth, "x-workspace-id": workspace, "X-Request-ID": request_id},
            json={"items": [{"user_id": user, "text": "配送太慢，再也不买了"}]},
        )
        assert response.status_code == 200, response.text
        assert response.json()[0]["published"] is True
        assert response.headers["x-request-id"] == request_id

        # On the event sentiment-alert wrote in the request's transaction.
        async with sentiment_app.state.database.session() as session:
            values = (await session.scalars(select(SENTIMENT_BUS.outbox.c.value))).all()
        events = [Envelope.from_bytes(bytes(value)) for value in values]
        (feedback,) = [e for e in events if e.type == "yunying.feedback.classified.v1"]
        assert feedback.correlationid == request_id

        # And in segmentation's consumer, after Kafka, while it handles that very event.
        async def seen() -> list[dict[str, Any]]:
            return [h for h in handled if h["user_id"] == user]

        (context,) = await _eventually(seen, "segmentation handling feedback.classified")
        assert context["correlation_id"] == request_id
        assert context["event_id"] == str(feedback.id)
        assert context["event_type"] == "yunying.feedback.classified.v1"
