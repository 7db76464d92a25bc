"""The creator registry over HTTP: creating, replacing, bad input named (shares that do not add
up, unknown platforms, negative prices), imports by API and CSV with per-item rejections,
and ranking against a segment's make-up with the score explained."""

import uuid
from datetime import UTC, datetime

import pytest

from campaigns.audience.service import record_membership, record_segment, record_traits
from campaigns.main import create_app
from yunying_shared.events.payloads.segmentation import UserProfileUpdated
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def creator(external_id="kol-1", **overrides):
    body = {
        "external_id": external_id,
        "name": "小鹿",
        "tier": "micro",
        "categories": ["护肤"],
        "accounts": [{"platform": "xiaohongshu", "account_id": "5f1a", "followers": 48_000}],
        "prices": [{"platform": "xiaohongshu", "deliverable": "image_post", "price": "8000"}],
        "audience": {
            "gender": {"female": 0.8, "male": 0.2},
            "age_band": {"18-24": 0.4, "25-34": 0.6},
        },
        "performance": [
            {
                "platform": "xiaohongshu",
                "period": "2026-10-01",
                "posts": 8,
                "followers": 48_000,
                "avg_engagements": 2_400,
            }
        ],
    }
    return {**body, **overrides}


@pytest.fixture
async def api(tmp_path, settings_for, local_transport):
    async with fresh_database("sqlite", tmp_path) as url:
        app = create_app(settings_for("campaigns", url), transport=local_transport)
        async with running(app) as client:
            workspace_id = uuid.uuid4()
            headers = internal_headers(app, user_principal(workspace_id, "operator"))
            yield app, client, headers, workspace_id


def _fields(response):
    return {e["field"] for e in response.json().get("errors", [])}


async def test_create_replace_and_read(api):
    _, client, headers, _ = api
    first = await client.post("/v1/creators", headers=headers, json=creator())
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["engagement_rate"] == pytest.approx(0.05)
    assert body["engagements_per_post"] == pytest.approx(2_400)
    assert body["authenticity_verdict"] is None
    again = await client.post("/v1/creators", headers=headers, json=creator(name="小鹿2"))
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    read = await client.get(f"/v1/creators/{body['id']}", headers=headers)
    assert read.json()["name"] == "小鹿2"
    listed = await client.get("/v1/creators?tier=head", headers=headers)
    assert listed.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"audience": {"gender": {"female": 0.7, "male": 0.2}}}, "body.audience.gender"),
        (
            {"accounts": [{"platform": "tiktok", "account_id": "x", "followers": 1}]},
            "body.accounts.0.platform",
        ),
        (
            {"prices": [{"platform": "douyin", "deliverable": "video", "price": "-1"}]},
            "body.prices.0.price",
        ),
        ({"tier": "mega"}, "body.tier"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(api, change, field):
    _, client, headers, _ = api
    response = await client.post("/v1/creators", headers=headers, json=creator(**change))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in _fields(response), response.json()


async def test_shares_that_do_not_add_up_say_what_they_add_up_to(api):
    _, client, headers, _ = api
    response = await client.post(
        "/v1/creators",
        headers=headers,
        json=creator(audience={"region": {"上海": 0.5, "北京": 0.3}}),
    )
    (error,) = response.json()["errors"]
    assert error["field"] == "body.audience.region"
    assert "0.800" in error["message"]


async def test_import_rejects_bad_items_alone(api):
    _, client, headers, _ = api
    items = [
        creator("kol-1"),
        creator("kol-2", audience={"gender": {"female": 0.5}}),
        creator("kol-3", accounts=[{"platform": "kuaishou", "account_id": "k", "followers": 1}]),
        "not an object",
        creator("kol-5"),
    ]
    response = await client.post("/v1/creators/import", headers=headers, json={"items": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"]) == (2, 0)
    rejected = {r["index"]: r for r in body["rejected"]}
    assert set(rejected) == {1, 2, 3}
    assert rejected[1]["external_id"] == "kol-2"
    assert [e["field"] for e in rejected[1]["errors"]] == ["items.1.audience.gender"]
    assert [e["field"] for e in rejected[2]["errors"]] == ["items.2.accounts.0.platform"]
    first = (await client.get("/v1/creators?limit=1", headers=headers)).json()
    rest = await client.get(f"/v1/creators?cursor={first['next_cursor']}", headers=headers)
    listed = first["items"] + rest.json()["items"]
    assert [c["external_id"] for c in listed] == ["kol-1", "kol-5"]


async def test_csv_import_names_the_row_and_field(api):
    _, client, headers, _ = api
    text = (
        "external_id,name,tier,categories,accounts,prices,gender,age_band,region,interests\n"
        "kol-1,小鹿,micro,护肤|彩妆,xiaohongshu:5f1a:48000:小鹿爱护肤,"
        "xiaohongshu:image_post:8000,female=0.82|male=0.18,18-24=0.4|25-34=0.6,,护肤=1\n"
        "kol-2,阿杰,koc,数码,douyin:aj:3000,douyin:video:-5,male=1,,,\n"
        "kol-3,小七,koc,,weibo:q7:9000,,female=0.6|male=0.6,,,\n"
    )
    response = await client.post(
        "/v1/creators/import/csv",
        headers={**headers, "content-type": "text/csv"},
        content=text.encode(),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 1
    fields = {r["index"]: [e["field"] for e in r["errors"]] for r in body["rejected"]}
    assert fields == {1: ["rows.1.prices.0.price"], 2: ["rows.2.audience.gender"]}
    broken = await client.post(
        "/v1/creators/import/csv",
        headers={**headers, "content-type": "text/csv"},
        content=b"name,tier\nx,koc\n",
    )
    assert broken.status_code == 422 and _fields(broken) == {"body"}


async def _segment(app, workspace_id, members):
    """The segment as segmentation's events leave it in campaigns' mirrors."""
    async with app.state.database.session() as session, session.begin():
        await record_segment(
            session, workspace_id=workspace_id, segment_id="seg-1", name="年轻妈妈", at=NOW
        )
        for n, (gender, age, interests) in enumerate(members):
            user = f"u{n}"
            await record_membership(
                session, workspace_id=workspace_id, segment_id="seg-1", user_id=user, member=True
            )
            await record_traits(
                session,
                workspace_id=workspace_id,
                profile=UserProfileUpdated(
                    user_id=user,
                    gender=gender,
                    age_band=age,
                    region=None,
                    interests=interests,
                    updated_at=NOW,
                ),
            )


async def test_match_ranks_by_audience_and_explains(api):
    app, client, headers, workspace_id = api
    await _segment(
        app,
        workspace_id,
        [("female", "25-34", ["护肤"])] * 8 + [("male", "25-34", ["数码"])] * 2,
    )
    near = creator(
        "near", audience={"gender": {"female": 0.8, "male": 0.2}, "age_band": {"25-34": 1.0}}
    )
    far = creator(
        "far", audience={"gender": {"female": 0.1, "male": 0.9}, "age_band": {"35-44": 1.0}}
    )
    for body in (far, near):
        assert (await client.post("/v1/creators", headers=headers, json=body)).status_code == 201
    response = await client.post(
        "/v1/creators/match", headers=headers, json={"segment_id": "seg-1", "sort": "match"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["target"]["members"] == 10 and body["target"]["with_attributes"] == 10
    assert body["target"]["make_up"]["gender"] == {"female": 0.8, "male": 0.2}
    first, second = body["ranked"]
    assert first["name"] == "小鹿" and first["match_by_dimension"]["gender"] == pytest.approx(1.0)
    assert first["match"] > 0.95 > 0.5 > second["match"]
    assert "Jensen" in body["method"] and "1 − JS distance" in first["explanation"]
    unknown = await client.post("/v1/creators/match", headers=headers, json={"segment_id": "nope"})
    assert unknown.status_code == 404 and _fields(unknown) == {"body.segment_id"}
    both = await client.post(
        "/v1/creators/match",
        headers=headers,
        json={"segment_id": "seg-1", "lifecycle_stage": "active"},
    )
    assert both.status_code == 422


async def test_an_analyst_reads_but_does_not_write(api):
    app, client, _, workspace_id = api
    analyst = internal_headers(app, user_principal(workspace_id, "analyst"))
    assert (await client.get("/v1/creators", headers=analyst)).status_code == 200
    denied = await client.post("/v1/creators", headers=analyst, json=creator())
    assert denied.status_code == 403


async def test_numbers_beyond_the_columns_and_nul_in_csv_are_named(api):
    _, client, headers, _ = api
    huge = creator(accounts=[{"platform": "douyin", "account_id": "x", "followers": 3 * 10**9}])
    response = await client.post("/v1/creators", headers=headers, json=huge)
    assert response.status_code == 422 and "body.accounts.0.followers" in _fields(response)
    broken = await client.post(
        "/v1/creators/import/csv",
        headers={**headers, "content-type": "text/csv"},
        content=b"external_id,name,tier,accounts\nk\x00,n,koc,douyin:a:1\n",
    )
    assert broken.status_code == 200, broken.text
    (rejected,) = broken.json()["rejected"]
    assert [e["field"] for e in rejected["errors"]] == ["rows.0.external_id"]
