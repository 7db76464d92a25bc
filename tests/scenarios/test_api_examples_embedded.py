"""Every request example of the API document, sent as a frontend team would copy it from `/docs`:
through the gateway of the embedded mode, logged in with the login example itself, with path
ids and prerequisites (a campaign, a coupon, a creator, a content item, a crisis case…) created
by the examples that create them. Each answer must be a 2xx, or a 4xx the operation documents,
and never a 422: a 422 means the server refuses its own example. Ids in an example that stand for
something created earlier (the campaign id in a coupon-issue example) are replaced by the real
ones, found where the creating operation's documented answer example holds them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.identity.schemas import LoginIn
from yunying_shared.runtime.embedded import EmbeddedApp

METHODS = ("get", "put", "post", "delete", "patch")
JSON = "application/json"
LOGIN = LoginIn.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
EVENTS_USER = "wx_o6a8s1Kq"  # the first user of the events example: profiles and tags name them
# Operations whose answers the others need, in the order they depend on each other, with where
# the created id sits in the answer and the path parameter it fills.
CREATES: list[tuple[str, str, str, str | None]] = [
    ("post", "/v1/workspaces/{workspace_id}/members", "user_id", "member_id"),
    ("post", "/v1/workspaces/{workspace_id}/api-keys", "id", "key_id"),
    ("post", "/v1/events", "", None),
    ("post", "/v1/coupons/templates", "id", None),
    ("post", "/v1/campaigns", "id", "campaign_id"),
    ("post", "/v1/segments", "id", "segment_id"),
    ("post", "/v1/creators", "id", "creator_id"),
    ("post", "/v1/experiments", "id", "experiment_id"),
    ("post", "/v1/coupons/issue", "coupon.id", "coupon_id"),
    ("post", "/v1/campaigns/{campaign_id}/collaborations", "id", "collaboration_id"),
    ("post", "/v1/content/items", "id", "item_id"),
    ("post", "/v1/monitoring/rules", "id", "rule_id"),
    ("post", "/v1/crises", "id", "case_id"),
    ("post", "/v1/faq/entries", "id", "entry_id"),
    ("post", "/v1/mentions", "results.1.message_id", "message_id"),
]
# Campaigns learns of an approved content item from its events: attaching it may take a moment.
EVENTUAL = {
    ("post", "/v1/campaigns/{campaign_id}/content"),
    ("post", "/v1/collaborations/{collaboration_id}/content"),
}
# Content is written by an operator who is not the admin, so the admin may check it.
WRITER = {
    "email": "writer@brand.example",
    "password": "a long writer passphrase",
    "role": "operator",
}
BY_WRITER = {("post", "/v1/content/items"), ("put", "/v1/content/items/{item_id}")}
# Sent last: it changes the password of the account the test acts as.
LAST = [("post", "/v1/me/password")]


@pytest.fixture
async def gateway(tmp_path, monkeypatch):
    monkeypatch.setenv("YUNYING_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("YUNYING_ADMIN_EMAIL", LOGIN["email"])
    monkeypatch.setenv("YUNYING_ADMIN_PASSWORD", LOGIN["password"])
    app = EmbeddedApp(tmp_path)
    await app.startup()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local")
    try:
        yield client
    finally:
        await client.aclose()
        await app.shutdown()


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _example(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The schema's first example; a list of its items' examples; an optional body's own."""
    schema = _resolve(document, schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("type") == "array":
        return _resolve(document, schema["items"])["examples"]
    branch = next(b for b in schema["anyOf"] if b.get("type") != "null")
    return _example(document, branch)


def _replaced(value: Any, stand_ins: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _replaced(v, stand_ins) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, stand_ins) for v in value]
    return stand_ins.get(value, value) if isinstance(value, str) else value


def _at(value: Any, where: str) -> Any:
    for key in where.split(".") if where else []:
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation with a JSON request body, in the order they can be sent."""
    found = {
        (method, path): operation
        for path, item in document["paths"].items()
        for method in METHODS
        if (operation := item.get(method))
        and JSON in operation.get("requestBody", {}).get("content", {})
        and path != "/v1/auth/login"
    }
    first = [(m, p) for m, p, _, _ in CREATES]
    rest = [key for key in found if key not in first and key not in LAST]
    return [(m, p, found[(m, p)]) for m, p in [*first, *rest, *LAST]]


def _documented_answer(operation: dict[str, Any], document: dict[str, Any]) -> Any:
    status = next(s for s in operation["responses"] if s.startswith("2"))
    schema = operation["responses"][status]["content"][JSON]["schema"]
    return _example(document, schema)


def _refused_example(status: int, problem: Any) -> bool:
    """A 422 naming a field of the body (or the body): the server refuses its own example."""
    if status != 422:
        return False
    fields = [e.get("field", "") for e in (problem or {}).get("errors", [])]
    return not fields or not all(f.startswith(("query.", "path.", "header.")) for f in fields)


async def _ready(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], path: str, made: str
) -> None:
    """What the later examples need of a created thing: a running experiment (exposures are
    refused before), an approved content item (campaigns attach only those). The item's author
    (the writer) may not check it, nor may one person pass both stages: the admin checks it and
    the reviewer the members example added approves it."""
    if path == "/v1/experiments":
        started = await client.post(f"/v1/experiments/{made}/start", headers=people["admin"])
        assert started.status_code == 200, started.text
    if path == "/v1/content/items":
        reviewer = {**people["admin"], **await _login(client, await _member_example(client))}
        for step, who in (("submit", people["writer"]), ("operator-check", people["admin"])):
            done = await client.post(f"/v1/content/items/{made}/{step}", headers=who)
            assert done.status_code == 200, done.text
        approved = await client.post(f"/v1/content/items/{made}/approve", headers=reviewer)
        assert approved.status_code == 200, approved.text


async def _member_example(client: httpx.AsyncClient) -> dict[str, str]:
    document = (await client.get("/openapi.json")).json()
    return dict(document["components"]["schemas"]["MemberIn"]["examples"][0])


async def _login(client: httpx.AsyncClient, person: dict[str, str]) -> dict[str, str]:
    answer = await client.post(
        "/v1/auth/login", json={"email": person["email"], "password": person["password"]}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def _wait_until_every_service_knows(
    client: httpx.AsyncClient, headers: dict[str, str], workspace_id: str
) -> None:
    for _ in range(600):
        answer = await client.get(f"/v1/workspaces/{workspace_id}/propagation", headers=headers)
        if answer.status_code == 200 and answer.json()["complete"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the workspace never reached every service: {answer.text}")


async def test_every_request_example_is_accepted_through_the_gateway(gateway):
    document = (await gateway.get("/openapi.json")).json()
    login = await gateway.post("/v1/auth/login", json=LOGIN)
    assert login.status_code == 200, login.text  # the login example logs the admin in
    workspaces = await gateway.get(
        "/v1/workspaces", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    workspace_id = next(w["id"] for w in workspaces.json()["items"] if w["slug"] == "demo")
    headers = {
        "Authorization": f"Bearer {login.json()['access_token']}",
        "X-Workspace-Id": workspace_id,
    }
    await _wait_until_every_service_knows(gateway, headers, workspace_id)
    added = await gateway.post(
        f"/v1/workspaces/{workspace_id}/members", headers=headers, json=WRITER
    )
    assert added.status_code == 201, added.text
    people = {"admin": headers, "writer": {**headers, **await _login(gateway, WRITER)}}

    ids: dict[str, str] = {"workspace_id": workspace_id, "platform": "xiaohongshu"}
    ids["invitee_user_id"] = "wx_o9Zk3Tt"  # never invited here: a documented 404
    stand_ins: dict[str, str] = {}  # an id in the examples -> the id created here
    path_of: dict[str, Callable[[str], str]] = {
        "user_id": lambda path: ids.get("member_id") if "/members/" in path else EVENTS_USER,
    }
    answers: dict[str, int] = {}
    refused: dict[str, str] = {}
    for method, path, operation in _operations(document):
        example = _example(document, operation["requestBody"]["content"][JSON]["schema"])
        body = json.dumps(_replaced(example, stand_ins))
        where = f"{method.upper()} {path}"
        url = path
        for parameter in (p["name"] for p in operation.get("parameters", []) if p["in"] == "path"):
            value = path_of[parameter](path) if parameter in path_of else ids.get(parameter)
            url = url.replace(f"{{{parameter}}}", value or "{missing}")
        if "{missing}" in url:
            refused[where] = "not sent: the operation creating its path id failed"
            continue
        for _ in range(200 if (method, path) in EVENTUAL else 1):
            sender = people["writer"] if (method, path) in BY_WRITER else headers
            answer = await gateway.request(
                method, url, content=body, headers={**sender, "Content-Type": JSON}
            )
            if answer.status_code != 422:
                break
            await asyncio.sleep(0.05)
        answers[where] = answer.status_code
        problem = answer.json() if answer.headers.get("content-type", "").endswith("json") else None
        documented = str(answer.status_code) in operation["responses"]
        if not (answer.is_success or (documented and answer.status_code < 500)):
            refused[where] = f"{answer.status_code}: {answer.text[:300]}"
        elif _refused_example(answer.status_code, problem):
            refused[where] = f"422: {answer.text[:300]}"
        creates = next((c for c in CREATES if (c[0], c[1]) == (method, path)), None)
        if creates is not None and answer.is_success and creates[2]:
            made = str(_at(answer.json(), creates[2]))
            stand_ins[str(_at(_documented_answer(operation, document), creates[2]))] = made
            if creates[3] is not None:
                ids[creates[3]] = made
            await _ready(gateway, people, path, made)
    assert refused == {}, "\n".join(f"{where} -> {why}" for where, why in refused.items())
    created = [f"{m.upper()} {p}" for m, p, _, _ in CREATES]
    assert {w: answers[w] for w in created if not 200 <= answers[w] < 300} == {}
    assert len(answers) >= 70  # every operation with a JSON body was sent
