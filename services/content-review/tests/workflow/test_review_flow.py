"""The review workflow through the service's API: scan, stage 1, stage 2, rejection, trail;
separation of duties and order, each refusal changing nothing."""

from datetime import UTC, datetime, timedelta

from content_review.publishing.jobs import advance_once


async def test_an_item_goes_draft_scan_stage1_stage2_approved(service):
    item = await service.create()
    assert item["state"] == "draft" and item["revision"] == 1

    submitted = await service.step(item["id"], "submit", service.author)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "scanned"
    assert submitted.json()["current"]["findings"] == []

    checked = await service.step(item["id"], "operator-check", service.operator, note="看过了")
    assert checked.json()["state"] == "operator_checked"
    approved = await service.step(item["id"], "approve", service.reviewer)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["state"] == "approved"
    assert (body["operator_checked_by"], body["approved_by"]) == ("operator-2", "reviewer-3")

    trail = await service.audit(item["id"])
    assert [(e["action"], e["from_state"], e["to_state"], e["actor_id"]) for e in trail] == [
        ("created", None, "draft", "author-1"),
        ("submitted", "draft", "submitted", "author-1"),
        ("scanned", "submitted", "scanned", None),
        ("operator_checked", "scanned", "operator_checked", "operator-2"),
        ("approved", "operator_checked", "approved", "reviewer-3"),
    ]
    assert {e["revision"] for e in trail} == {1}
    assert trail[3]["detail"] == {"reason": "看过了"}


async def test_blocking_findings_return_the_item_to_draft_with_a_reason_each(service):
    item = await service.create(body="全网最低价！本品治百病，加VX领取")
    response = await service.step(item["id"], "submit", service.author)
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "draft"
    blocking = [f for f in body["current"]["findings"] if f["severity"] == "block"]
    assert {f["term"] for f in blocking} >= {"全网最低", "治百病"}
    assert all(f["field"] == "body" for f in blocking)
    rejection = (await service.audit(item["id"]))[-1]
    assert (rejection["action"], rejection["to_state"], rejection["actor_id"]) == (
        "scan_rejected",
        "draft",
        None,
    )
    reasons = rejection["detail"]["reasons"]
    assert len(reasons) == len(blocking)
    assert {r["rule_id"] for r in reasons} == {f["rule_id"] for f in blocking}
    assert any("广告法" in r["reason"] for r in reasons)


async def test_a_resubmission_is_a_new_revision_with_a_diff(service):
    item = await service.create(body="本品治百病")
    await service.step(item["id"], "submit", service.author)
    edited = await service.client.put(
        f"/v1/content/items/{item['id']}",
        headers=service.author,
        json={"title": item["current"]["title"], "body": "本品温和保湿", "tags": ["保湿"]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["revision"] == 2
    resubmitted = await service.step(item["id"], "submit", service.author)
    assert resubmitted.json()["state"] == "scanned"

    diff = await service.client.get(
        f"/v1/content/items/{item['id']}/revisions/1/diff/2", headers=service.reviewer
    )
    assert diff.status_code == 200
    assert set(diff.json()["changed"]) == {"body", "tags", "planned_publish_at"}
    assert "-body: 本品治百病" in diff.json()["diff"]
    assert "+body: 本品温和保湿" in diff.json()["diff"]
    revisions = await service.client.get(
        f"/v1/content/items/{item['id']}/revisions", headers=service.reviewer
    )
    first, second = revisions.json()["items"]
    assert first["findings"][0]["term"] == "治百病" and second["findings"] == []
    missing = await service.client.get(
        f"/v1/content/items/{item['id']}/revisions/1/diff/3", headers=service.reviewer
    )
    assert missing.status_code == 404


async def test_the_author_cannot_check_their_own_item_and_nothing_changes(service):
    item = await service.create()
    await service.step(item["id"], "submit", service.author)
    before_item, before_trail = await service.item(item["id"]), await service.audit(item["id"])

    refused = await service.step(item["id"], "operator-check", service.author)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/separation_of_duties")
    admin_author = service.headers("author-1", "admin")
    assert (await service.step(item["id"], "operator-check", admin_author)).status_code == 403

    assert await service.item(item["id"]) == before_item
    assert await service.audit(item["id"]) == before_trail


async def test_stage_two_needs_another_person_than_stage_one_and_the_author(service):
    item = await service.create()
    await service.step(item["id"], "submit", service.author)
    # An admin may act at either stage, but not at both on one item.
    admin = service.headers("admin-9", "admin")
    assert (await service.step(item["id"], "operator-check", admin)).status_code == 200
    before_item, before_trail = await service.item(item["id"]), await service.audit(item["id"])

    second_time = await service.step(item["id"], "approve", admin)
    assert second_time.status_code == 403
    own = await service.step(item["id"], "approve", service.headers("author-1", "reviewer"))
    assert own.status_code == 403
    wrong_role = await service.step(item["id"], "approve", service.operator)
    assert wrong_role.status_code == 403

    assert await service.item(item["id"]) == before_item
    assert await service.audit(item["id"]) == before_trail
    assert (await service.step(item["id"], "approve", service.reviewer)).status_code == 200


async def test_steps_out_of_order_are_409_and_change_nothing(service):
    item = await service.create()
    trail = await service.audit(item["id"])
    assert (await service.step(item["id"], "approve", service.reviewer)).status_code == 409
    assert (await service.step(item["id"], "operator-check", service.operator)).status_code == 409
    await service.step(item["id"], "submit", service.author)
    scanned_trail = await service.audit(item["id"])
    early = await service.step(item["id"], "approve", service.reviewer)
    assert early.status_code == 409 and early.json()["type"].endswith("/out_of_order")
    assert (await service.step(item["id"], "submit", service.author)).status_code == 409
    assert (await service.item(item["id"]))["state"] == "scanned"
    assert await service.audit(item["id"]) == scanned_trail
    assert len(scanned_trail) == len(trail) + 2
    under_review = await service.client.put(
        f"/v1/content/items/{item['id']}",
        headers=service.author,
        json={"title": "改", "body": "改"},
    )
    assert under_review.status_code == 409


async def test_rejection_at_stage_two_returns_to_draft_with_reasons_and_comments(service):
    item = await service.create()
    await service.step(item["id"], "submit", service.author)
    await service.step(item["id"], "operator-check", service.operator)
    comment = await service.client.post(
        f"/v1/content/items/{item['id']}/comments",
        headers=service.reviewer,
        json={"body": "标题太平淡"},
    )
    assert comment.status_code == 201 and comment.json()["revision"] == 1
    rejected = await service.step(
        item["id"], "reject", service.reviewer, reasons=[{"reason": "标题需要改写"}]
    )
    assert rejected.status_code == 200
    assert rejected.json()["state"] == "draft"
    assert rejected.json()["operator_checked_by"] is None
    last = (await service.audit(item["id"]))[-1]
    assert (last["action"], last["actor_id"]) == ("rejected", "reviewer-3")
    assert last["detail"]["reasons"] == [{"reason": "标题需要改写", "rule_id": None}]
    no_reason = await service.step(item["id"], "reject", service.reviewer, reasons=[])
    assert no_reason.status_code == 422
    comments = await service.client.get(
        f"/v1/content/items/{item['id']}/comments", headers=service.author
    )
    assert [c["body"] for c in comments.json()["items"]] == ["标题太平淡"]


async def test_an_item_not_approved_by_its_publish_time_expires(service):
    soon = datetime.now(UTC) + timedelta(seconds=1)
    item = await service.create(planned_publish_at=soon.isoformat())
    await service.step(item["id"], "submit", service.author)
    approved = await service.approved()
    later = datetime.now(UTC) + timedelta(seconds=1.2)
    while datetime.now(UTC) < later:
        pass  # the publish time must pass; the job reads the real clock
    assert await advance_once(service.app.state.database) >= 1
    assert (await service.item(item["id"]))["state"] == "expired"
    assert (await service.item(approved["id"]))["state"] == "approved"
    last = (await service.audit(item["id"]))[-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (
        "expired",
        "scanned",
        "expired",
    )
    late = await service.step(item["id"], "operator-check", service.operator)
    assert late.status_code == 409
    reopened = await service.client.put(
        f"/v1/content/items/{item['id']}",
        headers=service.author,
        json={
            "title": "新计划",
            "body": "五分钟完成底妆",
            "planned_publish_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        },
    )
    assert reopened.status_code == 200
    assert (reopened.json()["state"], reopened.json()["revision"]) == ("draft", 2)


async def test_an_ad_that_does_not_say_it_is_one_is_blocked_at_submission(service):
    hidden = await service.create(kind="ad", body="五分钟完成底妆，这款粉底液真的好用")
    response = await service.step(hidden["id"], "submit", service.author)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "draft"
    (finding,) = body["current"]["findings"]
    assert (finding["rule_id"], finding["severity"]) == ("ad_disclosure_missing", "block")
    assert "第十四条" in finding["legal_basis"]
    for disclosed in ("五分钟完成底妆 #ad", "品牌赞助：五分钟完成底妆", "五分钟完成底妆（广告）"):
        item = await service.create(kind="ad", body=disclosed)
        scanned = await service.step(item["id"], "submit", service.author)
        assert scanned.json()["state"] == "scanned", (disclosed, scanned.text)
    # Value content needs no label.
    value = await service.create(body="五分钟完成底妆，这款粉底液真的好用")
    assert (await service.step(value["id"], "submit", service.author)).json()["state"] == "scanned"
