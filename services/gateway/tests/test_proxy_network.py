"""Forwarding to an upstream over the network (aiohttp's client, the distributed mode): the
service gets the caller's headers and body and nothing the client would make up, answers come
back whole (buffered or streamed), and a cookie one caller was given is never sent for the next.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.main import create_app
from yunying_shared.auth import INTERNAL_TOKEN_HEADER
from yunying_shared.testing.apps import Served, running
from yunying_shared.testing.databases import fresh_database

BIG = bytes(range(256)) * 800  # 200 KiB: above the size read whole, so streamed


class EchoingUpstream:
    """`/v1/segmentation/echo` answers what it received (headers, body) and sets a cookie;
    `/v1/segmentation/big` 200 KiB with a Content-Length, `/v1/segmentation/chunked` without."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append(
            {
                "headers": [(k.decode(), v.decode()) for k, v in scope["headers"]],
                "body": body,
            }
        )
        path = scope["path"]
        if path == "/v1/segmentation/big":
            await _answer(send, [(b"content-length", str(len(BIG)).encode())], [BIG])
        elif path == "/v1/segmentation/chunked":
            await _answer(send, [], [BIG[:100_000], BIG[100_000:]])
        else:
            content = json.dumps({"ok": True}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"set-cookie", b"session=caller-one; Path=/"),
            ]
            await _answer(send, headers, [content])


async def _answer(send: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for i, chunk in enumerate(chunks):
        await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})


@pytest.fixture
async def networked(gateway_settings, tmp_path, local_transport):
    upstream = EchoingUpstream()
    served = Served(upstream)
    await served.start()
    try:
        async with fresh_database("sqlite", tmp_path) as url:
            settings = gateway_settings(url, upstreams={"segmentation": served.url})
            async with running(create_app(settings, transport=local_transport)) as client:
                login = await client.post(
                    "/v1/auth/login",
                    json={
                        "email": settings.admin_email,
                        "password": settings.admin_password.get_secret_value(),
                    },
                )
                token = login.json()["access_token"]
                yield client, {"Authorization": f"Bearer {token}"}, upstream
    finally:
        await served.stop()


def _names(headers: list[tuple[str, str]]) -> set[str]:
    return {name for name, _ in headers}


async def test_the_service_gets_the_callers_headers_and_body_and_nothing_made_up(networked):
    client, auth, upstream = networked
    body = b'{"name": "caf\xc3\xa9"}'
    response = await client.post(
        "/v1/segmentation/echo",
        content=body,
        headers={
            **auth,
            "content-type": "application/json",
            "user-agent": "crm-sync/2.1",
            "x-request-id": "req-network-1",
        },
    )
    assert response.status_code == 200, response.text
    received = upstream.received[-1]
    assert received["body"] == body
    headers = dict(received["headers"])
    assert headers["user-agent"] == "crm-sync/2.1"
    assert headers["content-type"] == "application/json"
    assert headers["x-request-id"] == "req-network-1"
    assert headers[INTERNAL_TOKEN_HEADER.lower()]
    assert "authorization" not in headers

    # A body sent without a content type reaches the service without one (aiohttp would
    # otherwise call it application/octet-stream); the caller's Accept-Encoding is kept.
    await client.post(
        "/v1/segmentation/echo",
        content=b"plain bytes",
        headers={**auth, "accept-encoding": "identity"},
    )
    assert upstream.received[-1]["body"] == b"plain bytes"
    assert "content-type" not in _names(upstream.received[-1]["headers"])
    assert dict(upstream.received[-1]["headers"])["accept-encoding"] == "identity"


async def test_a_cookie_the_service_set_is_never_sent_for_the_next_caller(networked):
    client, auth, upstream = networked
    first = await client.get("/v1/segmentation/echo", headers=auth)
    assert first.headers["set-cookie"].startswith("session=caller-one")
    client.cookies.clear()  # the test client keeps cookies; the next caller has none
    await client.get("/v1/segmentation/echo", headers=auth)
    assert "cookie" not in _names(upstream.received[-1]["headers"])


@pytest.mark.parametrize("path", ["/v1/segmentation/big", "/v1/segmentation/chunked"])
async def test_large_answers_come_back_whole(networked, path):
    client, auth, _ = networked
    for _ in range(3):  # the pooled connection is reused after a streamed answer
        response = await client.get(path, headers=auth)
        assert response.status_code == 200
        assert response.content == BIG
