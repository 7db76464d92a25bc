"""The gateway forwards the path byte for byte (encoded slashes included: services route on the
raw path too), and refuses dot segments and control characters; to an in-process upstream
(httpx, the embedded mode) and to one over the network (aiohttp, the distributed mode)."""

import json
from typing import Any

import httpx
import pytest

from gateway.main import create_app
from yunying_shared.testing.apps import Served, running

PROBLEM = "application/problem+json"


class RecordingUpstream:
    """An upstream that answers 200 and notes the raw path of every request it got."""

    def __init__(self) -> None:
        self.raw_paths: list[bytes] = []
        self.queries: list[bytes] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.raw_paths.append(scope["raw_path"])
        self.queries.append(scope["query_string"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


@pytest.fixture(params=["in_process", "network"])
async def proxied(request, gateway_settings, database_url, local_transport):
    upstream = RecordingUpstream()
    if request.param == "network":
        served = Served(upstream)
        await served.start()
        settings = gateway_settings(database_url, upstreams={"segmentation": served.url})
        app = create_app(settings, transport=local_transport)
    else:
        served = None
        settings = gateway_settings(database_url)
        app = create_app(
            settings,
            transport=local_transport,
            upstreams={"segmentation": httpx.ASGITransport(app=upstream)},
        )
    try:
        async with running(app) as client:
            login = await client.post(
                "/v1/auth/login",
                json={
                    "email": settings.admin_email,
                    "password": settings.admin_password.get_secret_value(),
                },
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            yield app, client, headers, upstream
    finally:
        if served is not None:
            await served.stop()


async def _send_raw(app, raw_path: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """One request whose path reaches the app exactly as written (httpx would resolve `..`)."""
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, json.loads(body)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/users/%2e%2e/metrics",
        "/v1/users/A-u0/%2E/tags",
        "/v1/users/nul%00user",
        "/v1/users/a%01b",
        "/v1/users/a%7Fb",
    ],
)
async def test_dot_segments_and_control_characters_are_refused(proxied, path):
    _, client, headers, upstream = proxied
    response = await client.get(path, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "path"
    assert upstream.raw_paths == []


@pytest.mark.parametrize(
    "path",
    [
        "/v1/users/A-u0%2Ftags",
        "/v1/users/A-u0%2ftags",
        "/v1/users/..%2F..%2Fopenapi.json",
        "/v1/users/a%5C..%5Cmetrics",
        "/v1/users/100%25%20off",
    ],
)
async def test_encoded_separators_go_upstream_exactly_as_received(proxied, path):
    # The service routes on the raw path: `%2F` stays inside the user id there too.
    _, client, headers, upstream = proxied
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert upstream.raw_paths == [path.encode()]


async def test_literal_dot_segments_are_refused(proxied):
    app, _, headers, upstream = proxied
    for raw in (
        b"/v1/users/../../metrics",
        b"/v1/users/A-u0/../../openapi.json",
        b"/v1/users/./A-u0",
    ):
        status, body = await _send_raw(app, raw, headers)
        assert status == 400, body
        assert body["errors"][0]["field"] == "path"
    assert upstream.raw_paths == []


async def test_line_breaks_in_the_path_never_reach_a_service(proxied):
    # Refused before routing (PathGuardMiddleware), so nothing is forwarded.
    _, client, headers, upstream = proxied
    response = await client.get("/v1/users/a%0D%0AX-Injected:%201", headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert upstream.raw_paths == []


async def test_the_path_goes_upstream_exactly_as_received(proxied):
    _, client, headers, upstream = proxied
    path = "/v1/users/caf%C3%A9%20%E7%94%A8%E6%88%B7/tags"
    response = await client.get(f"{path}?limit=5&q=%E7%94%A8+x", headers=headers)
    assert response.status_code == 200, response.text
    assert upstream.raw_paths == [path.encode()]
    assert upstream.queries == [b"limit=5&q=%E7%94%A8+x"]
