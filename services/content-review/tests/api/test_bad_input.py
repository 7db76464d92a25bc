"""Bad input: oversized bodies (413 before they are read whole), HTML kept inert, no HTML
served, bad fields named, other workspaces invisible, API keys by scope."""

import uuid

from yunying_shared.auth import Principal
from yunying_shared.testing.apps import internal_headers


async def test_an_oversized_body_is_413_before_it_is_read_whole(service):
    limit = service.app.state.settings.max_body_bytes
    announced = await service.client.post(
        "/v1/content/items",
        headers={**service.author, "content-type": "application/json"},
        content=b"{" + b" " * (limit + 10) + b"}",
    )
    assert announced.status_code == 413
    assert announced.headers["content-type"] == "application/problem+json"

    chunks_sent = 0

    async def stream():
        nonlocal chunks_sent
        for _ in range(64):
            chunks_sent += 1
            yield b" " * 65_536

    streamed = await service.client.post(
        "/v1/scan", headers={**service.author, "content-type": "application/json"}, content=stream()
    )
    # Refused once the limit is passed. Directly on the service, FastAPI turns the limit's
    # interruption of a JSON body into its own 400; through the gateway (whose limit applies
    # first, tests/scenarios) it is a 413.
    assert streamed.status_code in (400, 413)
    # Refused as soon as the limit was passed, not after reading all 4 MiB.
    assert chunks_sent < 64
    items = await service.client.get("/v1/content/items", headers=service.reviewer)
    assert items.json() == {"items": [], "next_cursor": None}


async def test_html_and_script_are_stored_inert_and_returned_as_json_strings(service):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    item = await service.create(title="<b>标题</b>", body=payload)
    fetched = await service.client.get(f"/v1/content/items/{item['id']}", headers=service.reviewer)
    assert fetched.headers["content-type"] == "application/json"
    assert fetched.json()["current"]["body"] == payload
    assert fetched.json()["current"]["title"] == "<b>标题</b>"
    assert b"<script>" in fetched.content  # inside a JSON string, never a document
    scan = await service.client.post("/v1/scan", headers=service.author, json={"text": payload})
    assert scan.headers["content-type"] == "application/json"


async def test_no_endpoint_serves_html(service):
    document = await service.client.get("/openapi.json")
    types = set()
    for path in document.json()["paths"].values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                types.update(response.get("content", {}))
    assert types, "the document lists response types"
    assert not any("html" in media for media in types)
    # The kit's /docs page (Swagger UI) is HTML, but static: it shows no stored content.


async def test_bad_fields_are_named(service):
    response = await service.client.post(
        "/v1/content/items",
        headers=service.author,
        json={"platform": "myspace", "kind": "软文", "title": "", "body": "x\u0000y"},
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"body.platform", "body.kind", "body.title", "body.body"} <= fields
    bad_image = await service.client.post(
        "/v1/content/items",
        headers=service.author,
        json={
            "platform": "wechat",
            "kind": "故事",
            "title": "t",
            "body": "b",
            "images": [{"ref": "a.jpg", "licence": {"kind": "licensed", "source": "图库"}}],
        },
    )
    assert bad_image.status_code == 422
    assert any("expires_on" in e["field"] for e in bad_image.json()["errors"])
    not_uuid = await service.client.get("/v1/content/items/nope", headers=service.reviewer)
    assert not_uuid.status_code == 422


async def test_items_of_another_workspace_are_not_found(service):
    item = await service.create()
    other = internal_headers(
        service.app,
        Principal(subject="x", kind="user", workspace_id=uuid.uuid4(), roles=frozenset({"admin"})),
    )
    assert (
        await service.client.get(f"/v1/content/items/{item['id']}", headers=other)
    ).status_code == 404
    assert (await service.step(item["id"], "submit", other)).status_code == 404


async def test_api_keys_act_by_scope_and_never_review(service):
    def key(*scopes):
        principal = Principal(
            subject="cms",
            kind="api_key",
            workspace_id=service.workspace_id,
            scopes=frozenset(scopes),
        )
        return internal_headers(service.app, principal)

    body = {"platform": "weibo", "kind": "互动", "title": "投票", "body": "你选哪个？"}
    assert (
        await service.client.post("/v1/content/items", headers=key("content:read"), json=body)
    ).status_code == 403
    created = await service.client.post(
        "/v1/content/items", headers=key("content:write"), json=body
    )
    assert created.status_code == 201
    item_id = created.json()["id"]
    assert (
        await service.client.get("/v1/content/items", headers=key("content:read"))
    ).status_code == 200
    assert (await service.client.get("/v1/content/items", headers=key())).status_code == 403
    assert (await service.step(item_id, "submit", key("content:write"))).status_code == 200
    review = await service.step(item_id, "operator-check", key("content:read", "content:write"))
    assert review.status_code == 403
