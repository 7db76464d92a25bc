import re

from sqlalchemy import func, select

from gateway.db import BUS
from gateway.identity.models import User
from gateway.main import create_app
from gateway.workspaces.models import Membership, Workspace
from yunying_shared.events.catalogue import WORKSPACE_CREATED
from yunying_shared.testing.apps import running


async def _counts(app):
    """Users, workspaces, memberships and `workspace.created` events (a login adds its own
    audit event to the outbox; those are not the bootstrap's)."""
    workspace_events = select(func.count()).where(BUS.outbox.c.topic == WORKSPACE_CREATED.topic)
    async with app.state.database.session() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(table))
            for table in (User, Workspace, Membership)
        ]
        return [*counts, await session.scalar(workspace_events)]


async def test_first_start_creates_admin_and_demo_and_restarts_create_nothing(
    database_url, gateway_settings, local_transport, capsys
):
    settings = gateway_settings(database_url, admin_password=None, admin_email="boss@brand.cn")
    async with running(create_app(settings, transport=local_transport)) as client:
        printed = capsys.readouterr().out
        password = re.search(r"Password:\s+(\S+)\s+\(generated", printed).group(1)
        assert "boss@brand.cn" in printed
        assert f"{settings.public_url}/docs" in printed
        login = await client.post(
            "/v1/auth/login", json={"email": "boss@brand.cn", "password": password}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        workspaces = await client.get(
            "/v1/workspaces", headers={"Authorization": f"Bearer {token}"}
        )
        assert [(w["slug"], w["role"]) for w in workspaces.json()["items"]] == [("demo", "admin")]
        first = await _counts(client._transport.app)  # type: ignore[attr-defined]
    assert first == [1, 1, 1, 1]

    app = create_app(settings, transport=local_transport)
    async with running(app) as client:
        assert capsys.readouterr().out == ""
        assert await _counts(app) == first
        again = await client.post(
            "/v1/auth/login", json={"email": "boss@brand.cn", "password": password}
        )
        assert again.status_code == 200


async def test_chosen_password_is_used_and_not_printed(
    database_url, gateway_settings, local_transport, capsys
):
    settings = gateway_settings(
        database_url, admin_password="chosen-passw0rd", demo_workspace=False
    )
    app = create_app(settings, transport=local_transport)
    async with running(app) as client:
        printed = capsys.readouterr().out
        assert "chosen-passw0rd" not in printed
        assert "YUNYING_ADMIN_PASSWORD" in printed
        login = await client.post(
            "/v1/auth/login", json={"email": settings.admin_email, "password": "chosen-passw0rd"}
        )
        assert login.status_code == 200
        assert await _counts(app) == [1, 0, 0, 0]
