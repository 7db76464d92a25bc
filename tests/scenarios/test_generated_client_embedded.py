"""A frontend team's path: generate a Python client (openapi-python-client) from the gateway's
merged API document, then use only that client against the embedded mode: log in, ingest
events, read a profile (ids with `/`, spaces and CJK), build a segment, and get a 422 and a 404
back as typed `Problem`s."""

import asyncio
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw

from campaigns.creators.router import CSV_EXAMPLE
from yunying_shared.runtime.embedded import EmbeddedApp

ADMIN = {"email": "ops@brand.example", "password": "correct horse battery staple"}
PACKAGE = "yunying_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
# The uploads take a file as their body (CSV, images): the generator knows bodies it sends as
# bytes by the media type application/octet-stream only, so those media types are mapped to it
# (the client still sends the documented Content-Type). docs/ARCHITECTURE.md names this setting.
GENERATOR_CONFIG = """content_type_overrides:
  text/csv: application/octet-stream
  image/*: application/octet-stream
"""


@pytest.fixture
async def embedded(tmp_path, monkeypatch):
    monkeypatch.setenv("YUNYING_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("YUNYING_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("YUNYING_ADMIN_PASSWORD", ADMIN["password"])
    (tmp_path / "state").mkdir()
    app = EmbeddedApp(tmp_path / "state")
    await app.startup()
    try:
        yield app
    finally:
        await app.shutdown()


@pytest.fixture
async def api(embedded, tmp_path):
    """The generated package, imported from a temporary directory."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=embedded), base_url="http://local"
    ) as plain:
        document = (await plain.get("/openapi.json")).json()
    (tmp_path / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "generator.yml").write_text(GENERATOR_CONFIG, encoding="utf-8")
    generated = await asyncio.to_thread(
        subprocess.run,
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(tmp_path / "generator.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # Anything the generator had to leave out is a lie or a gap in the document.
    skipped = [
        line
        for line in generated.stdout.splitlines()
        if "will not be generated" in line or "Unable to" in line or "Unsupported" in line
    ]
    assert skipped == [], generated.stdout
    assert "Cannot parse response" not in generated.stdout, generated.stdout
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(package: Any, name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def _wait_for_segmentation(client: Any, workspace_id: Any) -> None:
    propagation = _module(None, "api.workspaces.read_propagation")
    for _ in range(400):
        state = await propagation.asyncio(workspace_id, client=client)
        if any(s.service == "segmentation" and s.recorded for s in state.services):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the workspace never reached segmentation")


async def test_a_generated_client_drives_the_api_with_typed_problems(api, embedded):
    transport = {"transport": httpx.ASGITransport(app=embedded)}
    models = _module(api, "models")
    login = _module(api, "api.auth.login")
    anonymous = api.Client(base_url="http://local", httpx_args=transport)
    tokens = await login.asyncio(client=anonymous, body=models.LoginIn.from_dict(ADMIN))
    assert isinstance(tokens, models.TokenPair), tokens
    client = api.AuthenticatedClient(
        base_url="http://local", token=tokens.access_token, httpx_args=transport
    )

    workspaces = await _module(api, "api.workspaces.list_workspaces").asyncio(client=client)
    demo = next(w for w in workspaces.items if w.slug == "demo")
    assert workspaces.next_cursor is None
    await _wait_for_segmentation(client, demo.id)

    users = ["用户/甲 1", "100% 真实", "plain"]
    batch = models.EventBatchIn.from_dict(
        {
            "events": [
                {
                    "event_id": f"e-{n}",
                    "user_id": user,
                    "type": "purchase",
                    "amount": 100 + n,
                    "occurred_at": "2026-11-29T08:00:00+08:00",
                }
                for n, user in enumerate(users)
            ]
            + [
                {
                    "event_id": "bad",
                    "user_id": "plain",
                    "type": "purchase",
                    "amount": "lots",
                    "occurred_at": "2026-11-29T08:00:00+08:00",
                }
            ]
        }
    )
    ingest = _module(api, "api.events.segmentation_ingest_events")
    result = await ingest.asyncio(client=client, body=batch)
    assert (result.accepted, result.rejected) == (3, 1), result
    assert result.results[-1].errors[0].field == "amount"

    read_profile = _module(api, "api.profiles.segmentation_read_profile")
    profile = await read_profile.asyncio("用户/甲 1", client=client)
    assert isinstance(profile, models.ProfileDetail), profile
    assert (profile.user_id, profile.order_count) == ("用户/甲 1", 1)

    percent = await read_profile.asyncio("100% 真实", client=client)
    assert isinstance(percent, models.ProfileDetail) and percent.user_id == "100% 真实"
    # An encoded traversal through the gateway is a user id, never another endpoint.
    async with httpx.AsyncClient(
        base_url="http://local",
        headers={"Authorization": f"Bearer {tokens.access_token}"},
        **transport,
    ) as plain:
        traversal = await plain.get("/v1/users/..%2F..%2Fopenapi.json")
    assert traversal.status_code in (400, 404), traversal.text
    assert traversal.headers["content-type"] == "application/problem+json"
    assert "paths" not in traversal.json()

    missing = await read_profile.asyncio_detailed("nobody/here", client=client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Problem)
    assert missing.parsed.status == 404 and missing.parsed.type_.endswith("not_found")

    create = _module(api, "api.segments.segmentation_create_segment")
    buyers = {"type": "field", "field": "order_count", "operator": "gte", "value": 1}
    segment = await create.asyncio(
        client=client, body=models.SegmentIn.from_dict({"name": "买过的人", "rule": buyers})
    )
    assert isinstance(segment, models.SegmentOut), segment
    assert segment.member_count == 3

    bad_rule = {"type": "field", "field": "shoe_size", "operator": "eq", "value": 1}
    refused = await create.asyncio_detailed(
        client=client, body=models.SegmentIn.from_dict({"name": "bad", "rule": bad_rule})
    )
    assert refused.status_code == 422
    problem = refused.parsed
    assert isinstance(problem, models.Problem)
    assert [e.field for e in problem.errors] == ["rule.field"]

    listed = await _module(api, "api.segments.segmentation_list_segments").asyncio(
        client=client, limit=1
    )
    assert [s.name for s in listed.items] == ["买过的人"] and listed.next_cursor is None

    imported = await _module(api, "api.creators.campaigns_import_csv").asyncio(
        client=client, body=_file(api, CSV_EXAMPLE.encode())
    )
    assert isinstance(imported, models.ImportOut), imported
    assert (imported.created, imported.rejected) == (1, [])

    uploaded = await _module(api, "api.images.content_review_upload_image").asyncio(
        client=client,
        body=_file(api, _png()),
        ref="img/cover.png",
    )
    assert isinstance(uploaded, models.ImageOut), uploaded
    assert uploaded.ref == "img/cover.png" and len(uploaded.phash) == 16


def _file(package: Any, data: bytes) -> Any:
    """The generated `File` sends its payload as the request content; the async client needs
    bytes there (a file object is read synchronously, which an AsyncClient refuses)."""
    return _module(package, "types").File(payload=data)


def _png() -> bytes:
    image = Image.new("RGB", (64, 48), (230, 40, 60))
    ImageDraw.Draw(image).rectangle((8, 8, 40, 30), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
