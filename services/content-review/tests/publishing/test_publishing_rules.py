"""Scheduling: the 7:3 ratio of value content to ads, cadence overrides and the calendar."""

from datetime import UTC, datetime, timedelta


def _at(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def _schedule(service, item_id, **body):
    return await service.step(item_id, "schedule", service.operator, **body)


async def test_an_ad_that_would_break_seven_to_three_is_flagged_when_scheduled(service):
    values = [await service.approved(planned_publish_at=_at(1 + i / 10)) for i in range(7)]
    for value in values:
        response = await _schedule(service, value["id"])
        assert response.status_code == 200 and response.json()["warnings"] == []
    first_ad = await service.approved(kind="ad", planned_publish_at=_at(2))
    fine = await _schedule(service, first_ad["id"])
    assert fine.json()["state"] == "scheduled" and fine.json()["warnings"] == []  # 7 : 1
    for _ in range(2):
        ad = await service.approved(kind="ad", planned_publish_at=_at(2.5))
        within = await _schedule(service, ad["id"])
        assert within.json()["warnings"] == []  # up to 7 : 3 exactly
    fourth = await service.approved(kind="ad", planned_publish_at=_at(3))
    flagged = await _schedule(service, fourth["id"])
    assert flagged.status_code == 200
    assert flagged.json()["state"] == "scheduled"
    (warning,) = flagged.json()["warnings"]
    assert "4 ad(s) to 7 value" in warning
    last = (await service.audit(fourth["id"]))[-1]
    assert last["action"] == "scheduled" and last["detail"]["warnings"] == [warning]
    other_account = await service.approved(kind="ad", account="second", planned_publish_at=_at(3))
    alone = await _schedule(service, other_account["id"])
    assert "1 ad(s) to 0 value" in alone.json()["warnings"][0]  # counted per account


async def test_only_approved_items_with_a_future_time_are_scheduled(service):
    draft = await service.create()
    assert (await _schedule(service, draft["id"])).status_code == 409
    approved = await service.approved(planned_publish_at=None)
    missing = await _schedule(service, approved["id"])
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.publish_at"
    past = await _schedule(service, approved["id"], publish_at=_at(-1))
    assert past.status_code == 422
    given = await _schedule(service, approved["id"], publish_at=_at(1))
    assert given.status_code == 200 and given.json()["state"] == "scheduled"


async def test_cadence_defaults_overrides_and_validation(service):
    listed = await service.client.get("/v1/content/cadence", headers=service.reviewer)
    by_platform = {c["platform"]: c for c in listed.json()["items"]}
    assert (by_platform["xiaohongshu"]["minimum"], by_platform["xiaohongshu"]["maximum"]) == (3, 5)
    assert by_platform["douyin"]["period"] == "day"
    assert "weibo" not in by_platform
    put = await service.client.put(
        "/v1/content/cadence/weibo",
        headers=service.operator,
        json={"period": "day", "minimum": 1, "maximum": 3},
    )
    assert put.status_code == 200 and put.json()["source"] == "workspace"
    bad = await service.client.put(
        "/v1/content/cadence/weibo",
        headers=service.operator,
        json={"period": "day", "minimum": 4, "maximum": 3},
    )
    assert bad.status_code == 422
    unknown = await service.client.put(
        "/v1/content/cadence/myspace",
        headers=service.operator,
        json={"period": "day", "minimum": 1, "maximum": 3},
    )
    assert unknown.status_code == 422
    reset = await service.client.delete("/v1/content/cadence/weibo", headers=service.operator)
    assert reset.status_code == 204
    again = await service.client.get("/v1/content/cadence", headers=service.reviewer)
    assert "weibo" not in {c["platform"] for c in again.json()["items"]}


async def test_the_calendar_shows_under_and_over_posting(service):
    # Next Monday to the Monday after, in the calendar's zone (Asia/Shanghai).
    now = datetime.now(UTC) + timedelta(hours=8)
    monday = (now + timedelta(days=7 - now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) - timedelta(hours=8)
    for hour in range(3):  # Douyin: 3 videos on Monday (over 1-2), none on Tuesday (under)
        item = await service.approved(
            platform="douyin", planned_publish_at=(monday + timedelta(hours=10 + hour)).isoformat()
        )
        await _schedule(service, item["id"])
    note = await service.approved(
        planned_publish_at=(monday + timedelta(days=1, hours=12)).isoformat()
    )
    await _schedule(service, note["id"])  # Xiaohongshu: 1 note this week (under 3-5)

    response = await service.client.get(
        "/v1/content/calendar",
        headers=service.reviewer,
        params={"from": monday.isoformat(), "to": (monday + timedelta(days=7)).isoformat()},
    )
    assert response.status_code == 200, response.text
    calendar = response.json()
    assert len(calendar["items"]) == 4
    douyin = [p for p in calendar["periods"] if p["platform"] == "douyin"]
    assert len(douyin) == 7
    assert (douyin[0]["count"], douyin[0]["status"]) == (3, "over")
    assert (douyin[1]["count"], douyin[1]["status"]) == (0, "under")
    (week,) = [p for p in calendar["periods"] if p["platform"] == "xiaohongshu"]
    assert (week["count"], week["status"], week["minimum"]) == (1, "under", 3)
    assert "wechat" not in {p["platform"] for p in calendar["periods"]}  # nothing planned there

    backwards = await service.client.get(
        "/v1/content/calendar",
        headers=service.reviewer,
        params={"from": monday.isoformat(), "to": monday.isoformat()},
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "query.to"
    missing = await service.client.get("/v1/content/calendar", headers=service.reviewer)
    assert missing.status_code == 422
