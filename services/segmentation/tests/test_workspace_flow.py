import asyncio
import uuid
from datetime import UTC, datetime

from segmentation.main import create_app
from yunying_shared.bus import Message
from yunying_shared.events import WORKSPACE_CREATED, make_event
from yunying_shared.events.payloads.gateway import WorkspaceCreated
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database


async def test_records_announced_workspace(dialect, tmp_path, settings_for, local_transport):
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app) as client:
            headers = internal_headers(app, user_principal(workspace_id, "analyst"))
            before = await client.get("/v1/segmentation/workspace", headers=headers)
            assert before.status_code == 404

            event = make_event(
                WORKSPACE_CREATED,
                WorkspaceCreated(
                    workspace_id=workspace_id,
                    name="Brand A",
                    slug="brand-a",
                    created_at=datetime.now(UTC),
                ),
                source="/yunying/gateway",
                workspace=workspace_id,
            )
            await local_transport.publish(
                [Message(WORKSPACE_CREATED.topic, str(workspace_id).encode(), event.to_bytes())]
            )
            for _ in range(100):
                after = await client.get("/v1/segmentation/workspace", headers=headers)
                if after.status_code == 200:
                    break
                await asyncio.sleep(0.05)
            assert after.status_code == 200, after.text
            assert after.json()["name"] == "Brand A"
            assert after.json()["service"] == "segmentation"


async def test_rejects_requests_without_internal_token(tmp_path, settings_for, local_transport):
    app = create_app(settings_for("segmentation"), transport=local_transport)
    async with running(app) as client:
        response = await client.get("/v1/segmentation/workspace")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert (await client.get("/healthz")).status_code == 200
