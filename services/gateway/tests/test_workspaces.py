import asyncio
import uuid

from sqlalchemy import func, select

from gateway.workspaces.models import Workspace


async def _workspace_rows(gateway, slug):
    async with gateway.app.state.database.session() as session:
        return await session.scalar(
            select(func.count()).select_from(Workspace).where(Workspace.slug == slug)
        )


async def test_create_writes_exactly_one_outbox_event(gateway):
    headers = await gateway.login()
    before = await gateway.outbox_count()
    created = await gateway.client.post(
        "/v1/workspaces", headers=headers, json={"name": "Brand A", "slug": "brand-a"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "admin"
    # workspace.created, and the audit entry of its creation (audit.recorded)
    assert await gateway.outbox_count() == before + 2

    duplicate = await gateway.client.post(
        "/v1/workspaces", headers=headers, json={"name": "Brand A again", "slug": "brand-a"}
    )
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"] == "application/problem+json"
    assert await gateway.outbox_count() == before + 2
    assert await _workspace_rows(gateway, "brand-a") == 1

    mine = await gateway.client.get("/v1/workspaces", headers=headers)
    assert sorted(w["slug"] for w in mine.json()["items"]) == ["brand-a", "demo"]


async def test_only_superusers_create_workspaces(gateway):
    admin = await gateway.login()
    demo = await gateway.demo_id(admin)
    await gateway.client.post(
        f"/v1/workspaces/{demo}/members",
        headers=admin,
        json={"email": "ops@brand.example", "password": "ops-desk-passw0rd-7", "role": "admin"},
    )
    ops = await gateway.login("ops@brand.example", "ops-desk-passw0rd-7")
    refused = await gateway.client.post(
        "/v1/workspaces", headers=ops, json={"name": "Mine", "slug": "mine"}
    )
    assert refused.status_code == 403
    assert await _workspace_rows(gateway, "mine") == 0


async def test_a_workspace_of_others_is_invisible(gateway):
    admin = await gateway.login()
    other = (
        await gateway.client.post(
            "/v1/workspaces", headers=admin, json={"name": "Other", "slug": "other"}
        )
    ).json()["id"]
    demo = await gateway.demo_id(admin)
    await gateway.client.post(
        f"/v1/workspaces/{demo}/members",
        headers=admin,
        json={"email": "analyst@brand.example", "password": "analyst-passw0rd", "role": "analyst"},
    )
    analyst = await gateway.login("analyst@brand.example", "analyst-passw0rd")

    assert (await gateway.client.get(f"/v1/workspaces/{demo}", headers=analyst)).status_code == 200
    for path in (
        f"/v1/workspaces/{other}",
        f"/v1/workspaces/{uuid.uuid4()}",
        f"/v1/workspaces/{other}/members",
        f"/v1/workspaces/{other}/propagation",
    ):
        response = await gateway.client.get(path, headers=analyst)
        assert response.status_code == 404, path
        assert response.json()["detail"] == "Workspace not found."
    selected = await gateway.client.get("/v1/me", headers={**analyst, "X-Workspace-Id": other})
    assert selected.status_code == 404
    assert [
        w["slug"]
        for w in (await gateway.client.get("/v1/workspaces", headers=analyst)).json()["items"]
    ] == ["demo"]


async def test_propagation_shows_which_services_recorded_the_workspace(gateway):
    admin = await gateway.login()
    created = await gateway.client.post(
        "/v1/workspaces", headers=admin, json={"name": "Brand B", "slug": "brand-b"}
    )
    workspace_id = uuid.UUID(created.json()["id"])
    gateway.recorded.add(workspace_id)
    path = f"/v1/workspaces/{workspace_id}/propagation"
    for _ in range(100):  # the gateway records it through its own consumer, asynchronously
        report = (await gateway.client.get(path, headers=admin)).json()
        if report["services"][0]["recorded"]:
            break
        await asyncio.sleep(0.05)
    by_service = {s["service"]: s for s in report["services"]}
    assert by_service["gateway"]["recorded"] is True
    assert by_service["segmentation"]["recorded"] is True
    assert by_service["campaigns"] == {
        "service": "campaigns",
        "recorded": False,
        "recorded_at": None,
        "detail": "unreachable",
    }
    assert report["complete"] is False

    demo = await gateway.demo_id(admin)
    demo_report = (
        await gateway.client.get(f"/v1/workspaces/{demo}/propagation", headers=admin)
    ).json()
    assert {s["service"]: s["recorded"] for s in demo_report["services"]}["segmentation"] is False
