"""Setting a profile's audience attributes publishes `user.profile_updated` (campaigns keeps
them for segments' make-up); a patch that touches none of them publishes nothing."""

import uuid
from datetime import UTC, datetime

import pytest

from segmentation.db import BUS
from segmentation.main import create_app
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database
from yunying_shared.testing.outbox import outbox_events

TYPE = "yunying.user.profile_updated.v1"


@pytest.fixture
async def api(tmp_path, settings_for, local_transport):
    async with fresh_database("sqlite", tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app) as client:
            yield app, client, internal_headers(app, user_principal(uuid.uuid4(), "admin"))


async def _published(app):
    async with app.state.database.session() as session:
        events = await outbox_events(session, BUS)
        return [e.envelope()["data"] for e in events if e.type == TYPE]


async def test_audience_attributes_are_published_and_other_patches_are_not(api):
    app, client, headers = api
    event = {
        "event_id": "reg-1",
        "user_id": "u1",
        "type": "registered",
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    assert (await client.post("/v1/events", headers=headers, json={"events": [event]})).json()[
        "accepted"
    ] == 1
    response = await client.patch(
        "/v1/users/u1",
        headers=headers,
        json={"gender": "female", "age_band": "25-34", "extra": {"interests": ["护肤", 3, "护肤"]}},
    )
    assert response.status_code == 200, response.text
    (data,) = await _published(app)
    assert (data["user_id"], data["gender"], data["age_band"], data["region"]) == (
        "u1",
        "female",
        "25-34",
        None,
    )
    assert data["interests"] == ["护肤"]  # strings only, once each
    untouched = await client.patch(
        "/v1/users/u1", headers=headers, json={"identities": {"wechat_openid": "o1"}}
    )
    assert untouched.status_code == 200
    assert len(await _published(app)) == 1
