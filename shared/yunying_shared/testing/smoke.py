"""The smoke test every service runs (the template's `tests/test_smoke.py` calls it): the app
starts in the given mode, migrates, answers its probes, refuses callers without the gateway's
token, and records a workspace the gateway announces on the bus."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from yunying_shared.bus import Message, Transport
from yunying_shared.events import WORKSPACE_CREATED, make_event
from yunying_shared.events.payloads.gateway import WorkspaceCreated
from yunying_shared.kit import ServiceDefinition, build_app
from yunying_shared.settings import ServiceSettings
from yunying_shared.testing.apps import internal_headers, running, user_principal


async def assert_service_runs(
    definition: ServiceDefinition, settings: ServiceSettings, transport: Transport
) -> None:
    app = build_app(definition, settings, transport=transport)
    workspace_id = uuid.uuid4()
    path = f"/v1/{definition.name}/workspace"
    async with running(app) as client:
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        refused = await client.get(path)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"

        headers = internal_headers(app, user_principal(workspace_id, "analyst"))
        assert (await client.get(path, headers=headers)).status_code == 404
        announced = make_event(
            WORKSPACE_CREATED,
            WorkspaceCreated(
                workspace_id=workspace_id, name="Smoke", slug="smoke", created_at=datetime.now(UTC)
            ),
            source="/yunying/gateway",
            workspace=workspace_id,
        )
        await transport.publish(
            [Message(WORKSPACE_CREATED.topic, str(workspace_id).encode(), announced.to_bytes())]
        )
        for _ in range(400):  # a new Kafka consumer group may take seconds to join
            recorded = await client.get(path, headers=headers)
            if recorded.status_code == 200:
                break
            await asyncio.sleep(0.05)
        assert recorded.status_code == 200, recorded.text
        assert recorded.json()["service"] == definition.name
