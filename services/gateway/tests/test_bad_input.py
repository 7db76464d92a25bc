PROBLEM = "application/problem+json"


def _fields(response):
    return [error["field"] for error in response.json()["errors"]]


async def test_malformed_json_is_a_problem_not_a_crash(gateway):
    response = await gateway.client.post(
        "/v1/auth/login",
        content=b'{"email": "a@b.c", ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert _fields(response)[0].startswith("body")


async def test_missing_and_invalid_fields_are_named(gateway):
    missing = await gateway.client.post("/v1/auth/login", json={"email": "a@b.c"})
    assert missing.status_code == 422
    assert _fields(missing) == ["body.password"]
    headers = await gateway.login()
    bad_slug = await gateway.client.post(
        "/v1/workspaces", headers=headers, json={"name": "Brand", "slug": "Not A Slug"}
    )
    assert bad_slug.status_code == 422
    assert _fields(bad_slug) == ["body.slug"]
    demo = await gateway.demo_id(headers)
    bad_role = await gateway.client.post(
        f"/v1/workspaces/{demo}/members", headers=headers, json={"email": "x@y.z", "role": "owner"}
    )
    assert _fields(bad_role) == ["body.role"]
    bad_id = await gateway.client.get("/v1/workspaces/not-a-uuid", headers=headers)
    assert bad_id.status_code == 422
    assert _fields(bad_id) == ["path.workspace_id"]


async def test_oversized_bodies_are_413(gateway):
    limit = gateway.app.state.settings.max_body_bytes
    announced = await gateway.client.post(
        "/v1/auth/login", content=b"x" * (limit + 1), headers={"Content-Type": "application/json"}
    )
    assert announced.status_code == 413
    assert announced.headers["content-type"] == PROBLEM

    headers = await gateway.login()

    async def chunks():
        for _ in range(limit // 65_536 + 2):
            yield b"y" * 65_536

    streamed = await gateway.client.post("/v1/segmentation/echo", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    assert streamed.headers["content-type"] == PROBLEM


async def test_bad_workspace_header_is_404(gateway):
    headers = await gateway.login()
    response = await gateway.client.get(
        "/v1/segmentation/echo", headers={**headers, "X-Workspace-Id": "nope"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


async def test_a_failed_request_changes_nothing(gateway):
    headers = await gateway.login()
    demo = await gateway.demo_id(headers)
    before = (await gateway.client.get(f"/v1/workspaces/{demo}/members", headers=headers)).json()
    taken = await gateway.client.post(
        f"/v1/workspaces/{demo}/members",
        headers=headers,
        json={"email": gateway.admin_email, "role": "analyst"},
    )
    assert taken.status_code == 409
    after = (await gateway.client.get(f"/v1/workspaces/{demo}/members", headers=headers)).json()
    assert after == before
