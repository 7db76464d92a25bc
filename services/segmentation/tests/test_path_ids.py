"""User ids holding `/`, `%`, spaces or CJK are read back through their path: the service routes
on the raw path, so `%2F` stays inside the `{user_id}` segment. And a method a path does not
answer is a 405 naming every method it does."""

import uuid
from urllib.parse import quote

import pytest

from segmentation.main import create_app
from yunying_shared.auth import Principal
from yunying_shared.testing.apps import internal_headers, running, user_principal

IDS = ["a/b", "100%", "100%25", "with space", "用户/甲 乙", "../../openapi.json", "x%2Fy/tags"]


def _path(user_id: str, *rest: str) -> str:
    return "/".join(["/v1/users", quote(user_id, safe=""), *(quote(r, safe="") for r in rest)])


@pytest.fixture
async def client_and_headers(database, settings_for, local_transport, crm_event):
    app = create_app(settings_for("segmentation", database.url), transport=local_transport)
    workspace_id = uuid.uuid4()
    async with running(app) as client:
        crm = internal_headers(
            app,
            Principal(
                subject="crm",
                kind="api_key",
                workspace_id=workspace_id,
                scopes=frozenset({"events:write"}),
            ),
        )
        events = [crm_event(user_id, "purchase", amount=n + 1) for n, user_id in enumerate(IDS)]
        ingested = await client.post("/v1/events", json={"events": events}, headers=crm)
        assert ingested.json()["accepted"] == len(IDS), ingested.text
        yield client, internal_headers(app, user_principal(workspace_id, "operator"))


async def test_every_id_reads_back_through_its_path(client_and_headers):
    client, headers = client_and_headers
    for n, user_id in enumerate(IDS):
        profile = await client.get(_path(user_id), headers=headers)
        assert profile.status_code == 200, (user_id, profile.text)
        assert profile.json()["user_id"] == user_id
        assert float(profile.json()["monetary_total"]) == pytest.approx(n + 1)
        rfm = await client.get(_path(user_id, "rfm"), headers=headers)
        assert rfm.status_code == 200, (user_id, rfm.text)


async def test_subpaths_keep_the_encoded_slash_in_their_own_segment(client_and_headers):
    client, headers = client_and_headers
    put = await client.put(
        _path("用户/甲 乙", "tags"), headers=headers, json={"tag": "会员/金卡", "kind": "attribute"}
    )
    assert put.status_code == 200, put.text
    tags = await client.get(_path("用户/甲 乙", "tags"), headers=headers)
    assert [t["tag"] for t in tags.json()["items"]] == ["会员/金卡"]
    # `x%2Fy/tags` is one id: its profile, not the tags of user `x%2Fy`.
    assert (await client.get(_path("x%2Fy/tags"), headers=headers)).json()["user_id"] == (
        "x%2Fy/tags"
    )
    removed = await client.delete(_path("用户/甲 乙", "tags", "会员/金卡"), headers=headers)
    assert removed.status_code == 204, removed.text
    assert (await client.get(_path("用户/甲 乙", "tags"), headers=headers)).json()["items"] == []


async def test_an_encoded_traversal_is_a_user_id_never_the_document(client_and_headers):
    client, headers = client_and_headers
    for path in ("/v1/users/..%2F..%2Fopenapi.json", "/v1/users/..%2f..%2fnobody"):
        response = await client.get(path, headers=headers)
        assert "openapi" not in response.json() and "paths" not in response.json()
    known = await client.get("/v1/users/..%2F..%2Fopenapi.json", headers=headers)
    assert known.json()["user_id"] == "../../openapi.json"
    unknown = await client.get("/v1/users/..%2f..%2fnobody", headers=headers)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


async def test_405_names_every_method_the_path_answers(client_and_headers):
    client, headers = client_and_headers
    response = await client.put("/v1/segments", headers=headers, json={})
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}
    by_id = await client.post(f"/v1/segments/{uuid.uuid4()}", headers=headers, json={})
    assert by_id.status_code == 405
    assert set(by_id.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}
